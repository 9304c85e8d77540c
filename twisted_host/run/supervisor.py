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
doubling delay up to 10 s while new ones die before listening), stops every worker
gracefully on SIGTERM or SIGINT (exit 0; a second signal kills them, exit 1), and on
SIGHUP replaces them one at a time, each new one listening before the old one
drains, as gunicorn does; so it replaces a worker that has served its
`--limit-max-requests` (it says so on its ready pipe and serves on meanwhile). uvicorn stays one child, of the supervisor.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TextIO

from twisted.internet import defer
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.error import ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

from core.settings import Settings
from twisted_host.run import metrics_dir
from twisted_host.run.process import listening_socket, socket_url, tcp_description
from twisted_host.run.reactor import install_asyncio_reactor
from twisted_host.run.tls import TLSFiles
from twisted_host.run.uvicorn import UvicornChild
from twisted_host.run.worker import SETTINGS_VARIABLE, TLS_VARIABLE

LISTEN_FD = 3  # where a worker finds the listening socket
READY_FD = 4  # where a worker writes that it listens
ADMIN_FD = 5  # where it finds the admin listener's socket (`--admin-port`)
FIRST_RETRY = 0.5  # seconds before restarting a worker that died before listening
MAX_RETRY = 10.0


class WorkerDied(Exception):
    """A worker ended before it listened."""


class Worker(ProcessProtocol):
    """One worker process as the supervisor sees it."""

    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.pid = 0
        self.listening: defer.Deferred[Worker] = defer.Deferred()
        self.ended: defer.Deferred[Worker] = defer.Deferred()
        self.status = "running"
        self.served = False  # it listened
        # Called when it has served its --limit-max-requests and asks to be replaced.
        self.on_recycle: Callable[[Worker], None] | None = None

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.pid = self.transport.pid

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        if childFD != READY_FD:
            return
        if not self.served:
            self.served = True
            self.listening.callback(self)
        if b"recycle" in data and self.on_recycle is not None:
            self.on_recycle(self)

    def processEnded(self, reason: Failure) -> None:
        if isinstance(reason.value, ProcessTerminated):
            code, sig = reason.value.exitCode, reason.value.signal
            self.status = f"signal {sig}" if sig else f"status {code}"
        else:
            self.status = "status 0"
        if not self.listening.called:
            self.listening.errback(WorkerDied(f"worker {self.pid}: {self.status}"))
            self.listening.addErrback(lambda _: None)  # handled, or nobody waits
        self.ended.callback(self)

    def signal(self, signum: int) -> None:
        if self.transport is not None and self.transport.pid:
            self.transport.signalProcess(signum)


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
        self.access_log = access_log
        self.metrics_path = metrics_path
        self.workers: dict[int, Worker] = {}  # slot: the worker serving it now
        self.retiring: set[Worker] = set()  # replaced, draining
        self.failures = [0] * count  # deaths before listening, in a row, per slot
        self.up = False  # every worker has listened once
        self.stopping = False
        self.reloading = False
        self.watching = False  # --reload: a change retries a start that failed
        self.reload_pending = False  # asked again while reloading
        self.status = 0

    # --- workers ------------------------------------------------------------------

    def spawn(self, slot: int) -> Worker:
        worker = Worker(slot)
        worker.ended.addCallback(self._ended)
        worker.on_recycle = self._recycle
        uvicorn_port = self.uvicorn.port if self.uvicorn else 0
        log_fd = self.access_log.fileno() if self.access_log is not None else None
        argv = [sys.executable, "-m", "twisted_host.run.worker"]
        argv += [str(LISTEN_FD), str(READY_FD), str(uvicorn_port)]
        argv += ["1" if log_fd is not None else "0"]
        argv += [str(ADMIN_FD) if self.admin is not None else "-1"]
        env = dict(os.environ)
        env[SETTINGS_VARIABLE] = self.settings.to_json()
        env[metrics_dir.VARIABLE] = str(self.metrics_path)
        if self.tls is not None:  # each worker serves HTTPS (and HTTP/2) itself
            env[TLS_VARIABLE] = self.tls.to_json()
        child_fds: dict[int, int | str] = {
            0: 0,
            1: log_fd if log_fd is not None else 1,
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
                _say(f"worker {worker.pid} failed to start ({worker.status})")
                del self.workers[worker.slot]  # gone: nothing to wait for
                if not self.watching:
                    self.status = 1
                    self.stop()
                elif not self.workers:
                    _say("waiting for a change to start again (--reload)")
            else:
                self._restart(worker)
        if self.stopping and not self.workers and not self.retiring:
            self.reactor.stop()

    def _restart(self, worker: Worker) -> None:
        slot = worker.slot
        if worker.served and self.failures[slot] == 0:
            delay = 0.0  # it had served: replace it now
        else:
            self.failures[slot] += 1
            delay = min(FIRST_RETRY * 2 ** (self.failures[slot] - 1), MAX_RETRY)
        _say(f"worker {worker.pid} exited ({worker.status}); a new one in {delay:g} s")
        self.reactor.callLater(delay, self._respawn, slot)

    def _respawn(self, slot: int) -> None:
        if self.stopping:
            return
        worker = self.spawn(slot)
        worker.listening.addCallback(self._served, slot)

    def _served(self, worker: Worker, slot: int) -> None:
        self.failures[slot] = 0

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
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._signalled)

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reactor.callFromThread(self.reload)
        elif self.stopping:
            _say("second signal, killing the workers")
            for worker in [*self.workers.values(), *self.retiring]:
                worker.signal(signal.SIGKILL)
            metrics_dir.remove(self.metrics_path)
            os._exit(1)
        else:
            self.reactor.callFromThread(self.stop)

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        if self.uvicorn is not None:
            self.uvicorn.process.terminate()
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
        _say(f"reloaded: {len(self.workers)} new workers")

    async def _replace(self, slot: int, why: str) -> bool:
        """A new worker in `slot`, listening before the old one drains; False (the
        old one kept) if the new one dies first."""
        old = self.workers[slot]
        new = self.spawn(slot)
        try:
            await new.listening
        except WorkerDied as died:
            self.workers[slot] = old  # keep serving with the old one
            _say(f"{why} stopped: {died}")
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
        _say(f"cannot listen on {tcp_description(host, port)}: {error}")
        return 1
    admin = None
    if settings.admin_port is not None:
        try:
            admin = listening_socket(settings.admin_host, settings.admin_port, 128)
        except OSError as error:
            where = tcp_description(settings.admin_host, settings.admin_port)
            _say(f"cannot listen on {where}: {error}")
            sock.close()
            return 1
    uvicorn = (
        UvicornChild.start(settings, host, uvicorn_port, tls) if uvicorn_port else None
    )
    if uvicorn is not None:  # the workers' proxies forward to it by default
        settings = uvicorn.upstream_for(settings)
    metrics = metrics_dir.make()
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


def _say(message: str) -> None:
    print(f"twistbridge: {message}", file=sys.stderr, flush=True)
