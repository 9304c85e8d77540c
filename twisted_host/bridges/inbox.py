"""The messages a WebSocket's app has not received yet, in order.

`asyncio.Queue` does this with four deques (its items, getters, putters, and the
waiters of its `Event`) of some 600 bytes each: 3 KB of every WebSocket held open
on the bridge, a tenth of its memory, for an inbox that holds a message or two (the
bridge stops reading while one waits). Here a list holds the messages and another
the tasks waiting in `get`, as uvicorn's `receive` allows several.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """A queue without bound, put to without waiting, read with `await get()`."""

    __slots__ = ("_items", "_loop", "_waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: list[T] = []
        self._waiters: list[asyncio.Future[None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
        self._items.append(item)
        self._wake_one()

    async def get(self) -> T:
        while not self._items:
            waiter = self._loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                # Woken and cancelled at once: the message it was woken for is
                # another waiter's now.
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        return self._items.pop(0)

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return
