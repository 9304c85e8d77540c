"""What every process `twistbridge` starts shares: the ready line that tests and
`compare` wait for, children that die with their parent, listening sockets and
their URLs, and what it tells the operator (`say`)."""

from __future__ import annotations

import re
import signal
import socket
import sys
from typing import Protocol

from twisted.internet.interfaces import IListeningPort
from twisted.python.failure import Failure

# What a command prints once it takes requests; the tests and `compare` wait for it.
# " ; admin URL": the admin listener's (`--admin-port`), when there is one.
READY = re.compile(
    r"ready: (https?://\S+?)/?(?: ; uvicorn (https?://\S+?)/asgi/)?"
    r"(?: ; admin (http://\S+?)/?)?$"
)


def say(message: str) -> None:
    """One line for the operator on standard error: a fault met, a signal handled."""
    print(f"twistbridge: {message}", file=sys.stderr, flush=True)


def hold_signals() -> None:
    """Ignore SIGHUP and SIGUSR1 until the process handles them (once it serves):
    while it starts, their default action would end it. An ignored signal stays
    ignored across exec (a handler does not), so a restart's new program and a
    child started now inherit this."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)


def die_with_parent() -> None:
    # Linux: the child gets SIGTERM when this process dies, even by SIGKILL.
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class _Stoppable(Protocol):
    def stop(self) -> None: ...


class Listener:
    """Prints the ready line once a port listens, or why it cannot and stops."""

    def __init__(
        self, reactor: _Stoppable, name: str, description: str, scheme: str = "http"
    ) -> None:
        self.reactor = reactor
        self.name = name
        self.description = description
        self.scheme = scheme
        self.status = 0

    def ready(self, port: IListeningPort, suffix: str = "") -> None:
        print(f"{self.name} ready: {url_of(port, self.scheme)}{suffix}", flush=True)

    def failed(self, failure: Failure) -> None:
        self.status = 1
        reason = failure.getErrorMessage()
        print(
            f"{self.name}: cannot listen on {self.description}: {reason}",
            file=sys.stderr,
        )
        self.reactor.stop()


def url_of(port: IListeningPort, scheme: str = "http") -> str:
    """The URL a listening port serves ("http://127.0.0.1:8000/")."""
    address = port.getHost()
    host, number = getattr(address, "host", "?"), getattr(address, "port", 0)
    return f"{scheme}://{host}:{number}/"


def socket_url(sock: socket.socket, scheme: str) -> str:
    """The URL a bound socket serves ("http://[::1]:8000/")."""
    bound_host, bound_port = sock.getsockname()[:2]
    if ":" in bound_host:
        bound_host = f"[{bound_host}]"
    return f"{scheme}://{bound_host}:{bound_port}/"


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A TCP socket listening on host:port (IPv6 for a host with a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def tcp_description(host: str, port: int) -> str:
    """A Twisted endpoint string for host:port (an IPv6 host's colons escaped)."""
    return f"tcp:{port}:interface={host.replace(':', chr(92) + ':')}"
