"""Calls from worker threads to the reactor, in batches: how the WSGI pool hands
each answer back.

Twisted's `callFromThread` on the asyncio reactor costs, per call, a write to the
loop's wake-up pipe, then a `callLater(0)` (a `DelayedCall`, a heap push, a timer
re-armed) before the call runs: under load, about a tenth of the WSGI mount's reactor
time in a profile of `/wsgi/hello`. Here the calls wait in a deque, and only the first
of a batch wakes the loop; the reactor runs all that arrived meanwhile, in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger

_log = Logger()

Call = Callable[[], object]


class HandBack:
    """`hand_back(call)` from any thread runs `call()` on the reactor thread."""

    def __init__(self, reactor: IReactorThreads) -> None:
        self._calls: deque[Call] = deque()
        self._pending = False  # a wake-up is on its way
        self._wake: Callable[[Call], Any]
        if isinstance(reactor, AsyncioSelectorReactor):
            # The reactor's own loop (no public name): the calls run in its turn.
            self._wake = reactor._asyncioEventloop.call_soon_threadsafe
        else:
            self._wake = reactor.callFromThread

    def __call__(self, call: Call) -> None:
        self._calls.append(call)
        if not self._pending:
            self._pending = True
            self._wake(self._run)

    def _run(self) -> None:
        # Cleared before the batch runs: a call appended from now on either is run
        # below or, having seen no wake-up pending, asks for one of its own.
        self._pending = False
        calls = self._calls
        while calls:
            call = calls.popleft()
            try:
                call()
            except Exception:
                _log.failure("A call handed back from a worker thread failed")
