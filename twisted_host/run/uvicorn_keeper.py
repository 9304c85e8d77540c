"""The uvicorn child kept running: a child that dies (killed, out of memory, a crash)
is said on standard error with its exit status and started again on the same socket,
with the workers' backoff (`twisted_host.run.backoff`); its state (pid, up, restarts)
is what `/stats` and `/metrics` show.

The parent learns of the death from a pidfd (Linux 5.3) in the reactor, not from
SIGCHLD: a single process runs on uvloop, which takes the signal's wake-up over.
Under `serve --workers N` the supervisor keeps the child and writes its state to a
file in the workers' metrics folder (`STATE_FILE`), which the workers read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.interfaces import IReadDescriptor
from twisted.python.failure import Failure
from zope.interface import implementer

from twisted_host.run.backoff import Backoff
from twisted_host.run.process import say
from twisted_host.run.uvicorn import UvicornChild

STATE_FILE = "uvicorn.json"  # in the metrics folder of `serve --workers N`


@implementer(IReadDescriptor)
class _Readable:
    """A file descriptor the reactor watches until it is readable once."""

    def __init__(
        self, reactor: AsyncioSelectorReactor, fd: int, then: Callable[[int], None]
    ) -> None:
        self.reactor = reactor
        self.fd = fd
        self.then = then
        reactor.addReader(self)

    def fileno(self) -> int:
        return self.fd

    def doRead(self) -> None:
        self.reactor.removeReader(self)
        try:
            self.then(self.fd)
        finally:
            os.close(self.fd)

    def connectionLost(self, reason: Failure) -> None:
        pass  # the reactor stops: the child stops with it

    def logPrefix(self) -> str:
        return "uvicorn child"


class UvicornKeeper:
    """Watches `child` and starts it again when it dies, until it is told to stop."""

    def __init__(
        self,
        reactor: AsyncioSelectorReactor,
        child: UvicornChild,
        state_file: Path | None = None,
    ) -> None:
        self.reactor = reactor
        self.child = child
        self.state_file = state_file
        self.backoff = Backoff()
        self.restarts = 0
        self.up = False  # the current child serves
        self._watch()

    def _watch(self) -> None:
        self.up = False
        self._write_state()
        _Readable(self.reactor, self.child.ready_fd, self._ready)
        _Readable(self.reactor, os.pidfd_open(self.child.process.pid), self._ended)

    def _ready(self, fd: int) -> None:
        # Readable: a line (it serves), or the end of the pipe (it died first; the
        # pipe may end before the process can be waited for).
        if os.read(fd, 64) and self.child.process.poll() is None:
            self.up = True
            self.backoff.served()
            self._write_state()

    def _ended(self, pidfd: int) -> None:
        served, self.up = self.up, False
        status = self.child.process.wait()  # it has ended: no wait
        if self.child.stopping:
            return
        delay = self.backoff.delay(served)
        how = f"signal {-status}" if status < 0 else f"status {status}"
        say(
            f"uvicorn {self.child.process.pid} exited ({how}); a new one in {delay:g} s"
        )
        self._write_state()
        self.reactor.callLater(delay, self._restart)

    def _restart(self) -> None:
        if self.child.stopping:
            return
        self.child.spawn()
        self.restarts += 1
        self._watch()

    def state(self) -> dict[str, Any]:
        """The child as `/stats` shows it."""
        return {
            "pid": self.child.process.pid,
            "up": self.up,
            "restarts": self.restarts,
            "url": self.child.url,
        }

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        # Whole or not at all: a worker may read it at any time.
        partial = self.state_file.with_suffix(".partial")
        partial.write_text(json.dumps(self.state()))
        partial.replace(self.state_file)


def read_state(folder: Path) -> Callable[[], dict[str, Any] | None]:
    """What a worker shows of the supervisor's uvicorn: its last state file."""

    def state() -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = json.loads((folder / STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        return found

    return state
