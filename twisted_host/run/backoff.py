"""When to restart a child process that died: a worker of `serve --workers N`, or the
uvicorn child. One that had served is replaced at once; one that dies again before
it serves waits longer each time (0.5 s, doubling, up to 10 s), so that a child that
cannot start (a broken app, a missing file) does not spin the CPU."""

from __future__ import annotations

FIRST_RETRY = 0.5  # seconds before restarting a child that died before serving
MAX_RETRY = 10.0


class Backoff:
    """The restart delays of one child slot."""

    def __init__(self) -> None:
        self.failures = 0  # deaths before serving, in a row

    def delay(self, served: bool) -> float:
        """Seconds before the next start, after a death; `served`: it had served."""
        if served and self.failures == 0:
            return 0.0
        self.failures += 1
        return min(FIRST_RETRY * 2.0 ** (self.failures - 1), MAX_RETRY)

    def served(self) -> None:
        """A new child serves: the next death is not one at start."""
        self.failures = 0
