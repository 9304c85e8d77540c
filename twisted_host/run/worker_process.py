"""One worker process of `serve --workers N` as its supervisor sees it
(`twisted_host.run.supervisor`): where it finds its sockets, when it listens, asks to
be replaced (`--limit-max-requests`) or ends, with what status."""

from __future__ import annotations

from collections.abc import Callable

from twisted.internet import defer
from twisted.internet.error import ProcessTerminated
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

LISTEN_FD = 3  # where a worker finds the listening socket
READY_FD = 4  # where a worker writes that it listens
ADMIN_FD = 5  # where it finds the admin listener's socket (`--admin-port`)


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
        self.reopens = 0  # the supervisor's SIGUSR1s this worker has had
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
