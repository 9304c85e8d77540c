"""What every process `twistbridge` starts shares: the ready line that tests and
`compare` wait for, children that die with their parent, and what it tells the
operator (`say`)."""

from __future__ import annotations

import re
import signal
import sys
from typing import Protocol

from twisted.internet.interfaces import IListeningPort
from twisted.python.failure import Failure

# What a command prints once it takes requests; the tests and `compare` wait for it.
READY = re.compile(r"ready: (https?://\S+?)/?(?: ; uvicorn (https?://\S+?)/asgi/)?$")


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
        address = port.getHost()
        host, number = getattr(address, "host", "?"), getattr(address, "port", 0)
        url = f"{self.scheme}://{host}:{number}/"
        print(f"{self.name} ready: {url}{suffix}", flush=True)

    def failed(self, failure: Failure) -> None:
        self.status = 1
        reason = failure.getErrorMessage()
        print(
            f"{self.name}: cannot listen on {self.description}: {reason}",
            file=sys.stderr,
        )
        self.reactor.stop()


def tcp_description(host: str, port: int) -> str:
    """A Twisted endpoint string for host:port (an IPv6 host's colons escaped)."""
    return f"tcp:{port}:interface={host.replace(':', chr(92) + ':')}"
