"""`run(...)`: the main job behind `twistbridge serve`, typed so that tests and other
programs can call it without the CLI."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from twisted.internet.interfaces import IListeningPort, IProtocolFactory
from twisted.python.failure import Failure

from core.settings import Settings
from twisted_host.reactor import install_asyncio_reactor

# What `run` prints once it takes requests; the tests and `compare` wait for it.
READY = re.compile(r"ready: (http://\S+?)/?(?: ; uvicorn (http://\S+?)/asgi/)?$")

AUTO_PORT = -1  # for `uvicorn_port`: any free port (tests use it); 0 means no uvicorn


def die_with_parent() -> None:
    # Linux: the child gets SIGTERM when this process dies, even by SIGKILL.
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@dataclass
class UvicornChild:
    """uvicorn serving the Starlette app in a child process."""

    process: subprocess.Popen[bytes]
    host: str
    port: int

    @classmethod
    def start(cls, settings: Settings, host: str, port: int) -> UvicornChild:
        # The socket is bound here: the port queues connections from now on, a port the
        # system chose is known at once, and the child serves it as `--fd`.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, max(port, 0)))
            sock.listen(1024)
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "twisted_host.uvicorn_child",
                    str(sock.fileno()),
                ],
                pass_fds=[sock.fileno()],
                env=dict(os.environ, TWISTBRIDGE_SETTINGS=settings.to_json()),
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
            bound_host, bound_port = sock.getsockname()[:2]
        return cls(process, bound_host, bound_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/asgi/"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _tcp(host: str, port: int) -> str:
    return f"tcp:{port}:interface={host.replace(':', chr(92) + ':')}"


class _Listener:
    """Prints the ready line once a port listens, or why it cannot and stops."""

    def __init__(self, reactor: Any, name: str, description: str) -> None:
        self.reactor = reactor
        self.name = name
        self.description = description
        self.status = 0

    def ready(self, port: IListeningPort, suffix: str = "") -> None:
        address = port.getHost()
        url = f"http://{address.host}:{address.port}/"  # type: ignore[attr-defined]
        print(f"{self.name} ready: {url}{suffix}", flush=True)

    def failed(self, failure: Failure) -> None:
        self.status = 1
        reason = failure.getErrorMessage()
        print(
            f"{self.name}: cannot listen on {self.description}: {reason}",
            file=sys.stderr,
        )
        self.reactor.stop()


def run(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    endpoint: str | None = None,
    uvicorn_port: int = 8001,
    access_log: TextIO | None = sys.stdout,
) -> int:
    """Serve until SIGINT or SIGTERM; return the process's exit status."""
    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.internet.endpoints import serverFromString
    from twisted.internet.task import LoopingCall

    from asgi_app import create_app as create_asgi_app
    from twisted_host.asgi import ASGIResource
    from twisted_host.shutdown import GracefulShutdown
    from twisted_host.site import TwistbridgeSite, create_root
    from twisted_host.transport import SoonTCPEndpoint

    uvicorn = UvicornChild.start(settings, host, uvicorn_port) if uvicorn_port else None
    if uvicorn is not None:
        reactor.addSystemEventTrigger("before", "shutdown", uvicorn.stop)

    asgi = ASGIResource(
        create_asgi_app(settings), request_timeout=settings.asgi_timeout
    )
    root = create_root(settings, reactor, asgi, uvicorn.port if uvicorn else None)
    site = TwistbridgeSite(root, settings, access_log)
    shutdown = GracefulShutdown(
        reactor,
        site,
        settings.shutdown_grace,
        on_begin=uvicorn.process.terminate if uvicorn is not None else None,
    )
    reactor.callWhenRunning(shutdown.install)
    if access_log is not None:
        # One write a second: no system call, nor stream call, per request.
        LoopingCall(site.flush_log).start(1.0, now=False)
        # After the requests still in flight at SIGTERM have been answered, too.
        reactor.addSystemEventTrigger("after", "shutdown", site.flush_log)

    listener = _Listener(reactor, "twistbridge", endpoint or _tcp(host, port))
    # --host/--port get the fast TCP transport; an endpoint string gets Twisted's own.
    server_endpoint = (
        serverFromString(reactor, endpoint)
        if endpoint
        else SoonTCPEndpoint(reactor, port, host)
    )

    def listen(_: object) -> object:
        if asgi.startup_error is not None:
            return None  # the bridge has stopped the reactor and logged why
        return server_endpoint.listen(site)

    def listening(port_: IListeningPort | None) -> None:
        if port_ is not None:
            shutdown.port = port_
            listener.ready(port_, f" ; uvicorn {uvicorn.url}" if uvicorn else "")

    # The port opens once the ASGI app's lifespan startup is over.
    asgi.started.addCallback(listen).addCallbacks(listening, listener.failed)
    reactor.run()
    if asgi.startup_error is not None:
        print(
            f"twistbridge: ASGI startup failed: {asgi.startup_error}", file=sys.stderr
        )
        return 1
    return listener.status


def listen_forever(factory: IProtocolFactory, host: str, port: int, name: str) -> int:
    """Serve one factory on host:port until SIGINT or SIGTERM (the raw listeners)."""
    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.internet.endpoints import serverFromString

    description = _tcp(host, port)
    listener = _Listener(reactor, name, description)

    def start() -> None:
        d = serverFromString(reactor, description).listen(factory)
        d.addCallbacks(listener.ready, listener.failed)

    reactor.callWhenRunning(start)
    reactor.run()
    return listener.status
