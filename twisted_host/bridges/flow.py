"""Backpressure for an app's `send`, as a future: the connection pauses its producer
when the transport's buffer is full, and `send` awaits `writable()` until it resumes.
The HTTP and WebSocket exchanges of the ASGI bridge are both such producers."""

from __future__ import annotations

import asyncio

from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer


@implementer(IPushProducer)
class SendProducer:
    """IPushProducer whose pause is a future that `writable()` waits on."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._writable: asyncio.Future[None] | None = None  # set while paused

    @property
    def paused(self) -> bool:
        return self._writable is not None

    async def writable(self) -> None:
        """Return at once, or once the client has read enough for more."""
        if self._writable is not None:
            await asyncio.shield(self._writable)

    def pauseProducing(self) -> None:
        if self._writable is None:
            self._writable = self.loop.create_future()

    def resumeProducing(self) -> None:
        if self._writable is not None:
            self._writable.set_result(None)
            self._writable = None

    def stopProducing(self) -> None:
        self.resumeProducing()
