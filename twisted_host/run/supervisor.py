"""`serve --workers N`: N worker processes serving one port, kept at N.

One listening socket, bound here and inherited by every worker (each runs the
whole Site: `twisted_host.run.worker`), rather than a socket per worker with
SO_REUSEPORT. Measured on this 2-core machine (2 workers, wrk, 64 connections,
5 s; README "Workers"): with one accept per wake-up (`SharedPort`) the two workers'
CPU shares were 47-50 % with keep-alive and 36-49 % with a connection per request;
SO_REUSEPORT's hash gave 47-50 % in both. The spread is close; what decides is that
a socket of a SO_REUSEPORT group drops the connections waiting in its own accept
queue when its worker closes it (Linux, unless root sets
`net.ipv4.tcp_migrate_req`), so restarting or replacing a worker would refuse
connections; a shared socket stays open here while workers come and go.

The supervisor restarts a worker that dies (at once if it had served, with a
doubling delay up to 10 s while new ones die before listening: `backoff`), stops
every worker gracefully on SIGTERM or SIGINT (exit 0; a second signal kills them,
exit 1), on SIGHUP replaces them one at a time, each new one listening before the
old one drains, as gunicorn does; so it replaces a worker that has served its
`--limit-max-requests` (it says so on its ready pipe and serves on meanwhile); and it
passes SIGUSR1 on (each worker reopens its log files). uvicorn stays one child, of
the supervisor, restarted when it dies (`uvicorn_keeper`).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import TextIO

from twisted.internet import defer
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.python.failure import Failure

from core.settings import Settings
from twisted_host.http.access_log_file import reopenable_path
from twisted_host.run import metrics_dir
from twisted_host.run.backoff import Backoff
from twisted_host.run.log_files import reopen_log_files
from twisted_host.run.process import listening_socket, say, socket_url, tcp_description
from twisted_host.run.reactor import install_asyncio_reactor
from twisted_host.run.tls import TLSFiles
from twisted_host.run.uvicorn import UvicornChild
from twisted_host.run.uvicorn_keeper import STATE_FILE, UvicornKeeper
from twisted_host.run.worker import OFF, SETTINGS_VARIABLE, TLS_VARIABLE
from twisted_host.run.worker_process import (
    ADMIN_FD,
    LISTEN_FD,
    READY_FD,
    Worker,
    WorkerDied,
)


class Supervisor:
    def __init__(
        self,
        reactor: AsyncioSelectorReactor,
        settings: Settings,
        count: int,
        sock: socket.socket,
        *,
        uvicorn: UvicornChild | None,
        access_log: TextIO | None,
        metrics_path: Path,
        tls: TLSFiles | None = None,
        admin: socket.socket | None = None,
    ) -> None:
        self.reactor = reactor
        self.admin = admin  # shared by the workers as the public socket is
        self.tls = tls
        self.settings = settings
        self.count = count
        self.sock = sock
        self.uvicorn = uvicorn
        self.log_arg, self.log_fd = _access_log_for_workers(access_log)
        self.metrics_path = metrics_path
        self.workers: dict[int, Worker] = {}  # slot: the worker serving it now
        self.retiring: set[Worker] = set()  # replaced, draining
        self.backoffs = [Backoff() for _ in range(count)]  # per slot
        self.up = False  # every worker has listened once
        self.stopping = False
        self.reloading = False
        self.watching = False  # --reload: a change retries a start that failed
        self.reload_pending = False  # asked again while reloading
        self.status = 0
        self.reopens = 0  # SIGUSR1s received

    # --- workers ------------------------------------------------------------------

    def spawn(self, slot: int) -> Worker:
        worker = Worker(slot)
        worker.reopens = self.reopens  # it opens its log files after them
        worker.ended.addCallback(self._ended)
        worker.listening.addCallback(self._listening)
        worker.on_recycle = self._recycle
        uvicorn_port = self.uvicorn.port if self.uvicorn else 0
        argv = [sys.executable, "-m", "twisted_host.run.worker"]
        argv += [str(LISTEN_FD), str(READY_FD), str(uvicorn_port), self.log_arg]
        argv += [str(ADMIN_FD) if self.admin is not None else "-1"]
        env = dict(os.environ)
        env[SETTINGS_VARIABLE] = self.settings.to_json()
        env[metrics_dir.VARIABLE] = str(self.metrics_path)
        if self.tls is not None:  # each worker serves HTTPS (and HTTP/2) itself
            env[TLS_VARIABLE] = self.tls.to_json()
        child_fds: dict[int, int | str] = {
            0: 0,
            1: self.log_fd,
            2: 2,
            LISTEN_FD: self.sock.fileno(),
            READY_FD: "r",
        }
        if self.admin is not None:
            child_fds[ADMIN_FD] = self.admin.fileno()
        self.reactor.spawnProcess(
            worker, sys.executable, argv, env=env, childFDs=child_fds
        )
        self.workers[slot] = worker
        return worker

    def _ended(self, worker: Worker) -> None:
        metrics_dir.forget_process(self.metrics_path, worker.pid)
        if worker in self.retiring:
            self.retiring.discard(worker)
        elif self.workers.get(worker.slot) is worker:
            if self.stopping:
                del self.workers[worker.slot]
            elif not self.up:
                say(f"worker {worker.pid} failed to start ({worker.status})")
                del self.workers[worker.slot]  # gone: nothing to wait for
                if not self.watching:
                    self.status = 1
                    self.stop()
                elif not self.workers:
                    say("waiting for a change to start again (--reload)")
            else:
                self._restart(worker)
        if self.stopping and not self.workers and not self.retiring:
            self.reactor.stop()

    def _restart(self, worker: Worker) -> None:
        slot = worker.slot
        delay = self.backoffs[slot].delay(worker.served)
        say(f"worker {worker.pid} exited ({worker.status}); a new one in {delay:g} s")
        self.reactor.callLater(delay, self._respawn, slot)

    def _respawn(self, slot: int) -> None:
        if self.stopping:
            return
        worker = self.spawn(slot)
        worker.listening.addCallback(self._served, slot)

    def _served(self, worker: Worker, slot: int) -> None:
        self.backoffs[slot].served()

    def _listening(self, worker: Worker) -> Worker:
        if worker.reopens < self.reopens:  # a SIGUSR1 came while it started
            worker.reopens = self.reopens
            worker.signal(signal.SIGUSR1)
        return worker

    # --- start, stop, reload ------------------------------------------------------

    def start(self) -> defer.Deferred[list[Worker]]:
        workers = [self.spawn(slot) for slot in range(self.count)]
        return defer.gatherResults([w.listening for w in workers], consumeErrors=True)

    def begin(self) -> None:
        """Start the workers; the ready line once every one listens. A worker that
        fails before listening stops them all (`_ended`), unless --reload watches."""
        self.start().addCallbacks(self._up, lambda _: None)

    def _up(self, _: object) -> None:
        self.up = True
        suffix = f" ; uvicorn {self.uvicorn.url}" if self.uvicorn else ""
        if self.admin is not None:
            suffix += f" ; admin {socket_url(self.admin, 'http')}"
        address = socket_url(self.sock, "https" if self.tls else "http")
        print(f"twistbridge ready: {address}{suffix}", flush=True)

    def install_signals(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(signum, self._signalled)

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reactor.callFromThread(self.reload)
        elif signum == signal.SIGUSR1:
            self.reactor.callFromThread(self.reopen_logs)
        elif self.stopping:
            say("second signal, killing the workers")
            for worker in [*self.workers.values(), *self.retiring]:
                worker.signal(signal.SIGKILL)
            metrics_dir.remove(self.metrics_path)
            os._exit(1)
        else:
            self.reactor.callFromThread(self.stop)

    def reopen_logs(self) -> None:
        """SIGUSR1: this process's log files, then every worker's (each reopens its
        own); a worker still starting gets it once it listens (`_served`)."""
        paths = reopen_log_files(None)
        self.reopens += 1
        listening = [w for w in self.workers.values() if w.served]
        for worker in listening:
            worker.reopens = self.reopens
            worker.signal(signal.SIGUSR1)
        here = f"; reopened {', '.join(paths)}" if paths else ""
        say(f"SIGUSR1: passed to {len(listening)} workers{here}")

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        if self.uvicorn is not None:
            self.uvicorn.terminate()
        for worker in [*self.workers.values(), *self.retiring]:
            worker.signal(signal.SIGTERM)
        # The port closes when the last worker closes it (after its --drain-delay):
        # new connections are then refused, as with one process, rather than queued
        # where no worker will take them.
        self.sock.close()
        if self.admin is not None:
            self.admin.close()
        if not self.workers and not self.retiring:
            self.reactor.stop()
            return
        # Every worker has its own grace period; past it (and a margin), kill.
        limit = self.settings.drain_delay + self.settings.shutdown_grace + 5
        self.reactor.callLater(limit, self._kill_stragglers)

    def _kill_stragglers(self) -> None:
        for worker in [*self.workers.values(), *self.retiring]:
            worker.signal(signal.SIGKILL)

    def reload(self) -> None:
        if self.watching and not self.up and not self.workers and not self.stopping:
            self.begin()  # the first start failed: try the changed code
            return
        if self.reloading:  # a change meanwhile: once more, after this one
            self.reload_pending = True
        if self.reloading or self.stopping or not self.up:
            return
        self.reloading = True
        d = defer.Deferred.fromCoroutine(self._replace_all())
        d.addBoth(self._reloaded)

    async def _replace_all(self) -> None:
        for slot in sorted(self.workers):
            if self.stopping or not await self._replace(slot, "reload"):
                return
        say(f"reloaded: {len(self.workers)} new workers")

    async def _replace(self, slot: int, why: str) -> bool:
        """A new worker in `slot`, listening before the old one drains; False (the
        old one kept) if the new one dies first."""
        old = self.workers[slot]
        new = self.spawn(slot)
        try:
            await new.listening
        except WorkerDied as died:
            self.workers[slot] = old  # keep serving with the old one
            if self.stopping:
                # stop() came while the new one started: it signalled the new one,
                # which this slot named then; the old one drains as every worker.
                old.signal(signal.SIGTERM)
            else:
                say(f"{why} stopped: {died}")
            return False
        self.retiring.add(old)
        old.signal(signal.SIGTERM)  # it drains; the socket stays open here
        return True

    def _recycle(self, worker: Worker) -> None:
        # --limit-max-requests: replaced as one worker of a reload is (a reload in
        # progress replaces it anyway).
        if (
            self.stopping
            or self.reloading
            or self.workers.get(worker.slot) is not worker
        ):
            return
        d = defer.Deferred.fromCoroutine(self._replace(worker.slot, "recycling"))
        d.addErrback(lambda failure: failure.printTraceback())

    def _reloaded(self, result: object) -> None:
        self.reloading = False
        if isinstance(result, Failure):
            result.printTraceback()
        if self.reload_pending:
            self.reload_pending = False
            self.reload()


def supervise(
    settings: Settings,
    count: int,
    *,
    host: str,
    port: int,
    uvicorn_port: int,
    access_log: TextIO | None,
    tls: TLSFiles | None = None,
) -> int:
    """Run `count` workers on host:port until SIGTERM or SIGINT; the exit status.
    Every worker serves the apps `settings` names, over TLS when `tls` is given."""
    # Not on uvloop: it takes signal.set_wakeup_fd over when its loop runs, and
    # Twisted learns of a child's end (SIGCHLD) through that file descriptor.
    reactor = install_asyncio_reactor(use_uvloop=False)
    try:
        sock = listening_socket(host, port, settings.backlog)
    except OSError as error:
        say(f"cannot listen on {tcp_description(host, port)}: {error}")
        return 1
    admin = None
    if settings.admin_port is not None:
        try:
            admin = listening_socket(settings.admin_host, settings.admin_port, 128)
        except OSError as error:
            where = tcp_description(settings.admin_host, settings.admin_port)
            say(f"cannot listen on {where}: {error}")
            sock.close()
            return 1
    uvicorn = (
        UvicornChild.start(settings, host, uvicorn_port, tls) if uvicorn_port else None
    )
    if uvicorn is not None:  # the workers' proxies forward to it by default
        settings = uvicorn.upstream_for(settings)
    metrics = metrics_dir.make()
    if uvicorn is not None:  # restarted when it dies; the workers show its state
        UvicornKeeper(reactor, uvicorn, metrics / STATE_FILE)
    supervisor = Supervisor(
        reactor,
        settings,
        count,
        sock,
        uvicorn=uvicorn,
        access_log=access_log,
        metrics_path=metrics,
        tls=tls,
        admin=admin,
    )
    if settings.reload:
        from twisted_host.run.reload import start_watching

        supervisor.watching = True
        folders, includes = settings.reload_dirs, settings.reload_includes
        excludes = settings.reload_excludes
        start_watching(reactor, supervisor.reload, folders, includes, excludes)
    reactor.callWhenRunning(_start, supervisor)
    try:
        reactor.run()
    finally:
        if uvicorn is not None:
            uvicorn.stop()
        metrics_dir.remove(metrics)
        sock.close()
        if admin is not None:
            admin.close()
    return supervisor.status


def _start(supervisor: Supervisor) -> None:
    supervisor.install_signals()
    supervisor.begin()


def _access_log_for_workers(access_log: TextIO | None) -> tuple[str, int]:
    """The worker's ACCESS_LOG argument, and its standard output."""
    if access_log is None:
        return OFF, 1
    path = reopenable_path(access_log, access_log.fileno())
    if path is None:  # standard output, a pipe: every worker writes to it
        return "-", access_log.fileno()
    # A file of its own: every worker opens it (appending) and reopens it on
    # SIGUSR1; here it would only hold the rotated file open.
    access_log.close()
    return path, 1
