"""SIGHUP in a single process: a graceful restart in place, as gunicorn's HUP
replaces its workers.

The process stops accepting but keeps its listening sockets open (the Site's and
uvicorn's: connections wait in their queues, none is refused), answers the requests
in flight (`GracefulShutdown.restart`, up to `--shutdown-grace`), stops uvicorn and
every app (ASGI lifespan shutdown, WSGI pools), writes the access log out, then
executes its own command line again (same pid: a process manager sees nothing end),
handing the sockets down by number in `VARIABLE`. The new process imports the apps
afresh and serves the same sockets.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import NoReturn, cast

from twisted.internet import defer
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.interfaces import (
    IListeningPort,
    IProtocolFactory,
    IStreamServerEndpoint,
)
from zope.interface import implementer

from twisted_host.http.transport import SoonPort
from twisted_host.run.process import hold_signals, say

VARIABLE = "TWISTBRIDGE_INHERITED"  # {"site": fd, "uvicorn": fd}
SITE = "site"
UVICORN = "uvicorn"


def inherited() -> dict[str, int]:
    """The sockets a restart handed down to this process, taken out of the
    environment so that no child of it inherits the variable."""
    value = os.environ.pop(VARIABLE, None)
    return cast(dict[str, int], json.loads(value)) if value else {}


def exec_again(sockets: dict[str, int]) -> NoReturn:
    """Run this process's command line again in its place, with `sockets` open."""
    for fd in sockets.values():
        os.set_inheritable(fd, True)
    hold_signals()  # another SIGHUP must not end the new program while it starts
    sys.stdout.flush()
    sys.stderr.flush()
    env = dict(os.environ, **{VARIABLE: json.dumps(sockets)})
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    except OSError as error:
        say(f"cannot restart: {error}")
        os._exit(1)


@implementer(IStreamServerEndpoint)
class InheritedEndpoint:
    """The listening socket a restart handed down: TCP (`SoonPort`, as
    `--host/--port` listen) or a UNIX socket (`--endpoint unix:...`)."""

    def __init__(self, reactor: AsyncioSelectorReactor, fd: int) -> None:
        self.reactor = reactor
        self.fd = fd

    def listen(self, factory: IProtocolFactory) -> defer.Deferred[IListeningPort]:
        def start() -> IListeningPort:
            with socket.socket(fileno=os.dup(self.fd)) as probe:
                family = probe.family
            try:
                if family == socket.AF_UNIX:
                    adopted = self.reactor.adoptStreamPort(self.fd, family, factory)
                    return cast(IListeningPort, adopted)
                port = SoonPort._fromListeningDescriptor(
                    self.reactor, self.fd, family, factory
                )
                port.startListening()
                return cast(IListeningPort, port)
            finally:
                os.close(self.fd)  # Twisted keeps a duplicate of it

        return defer.execute(start)
