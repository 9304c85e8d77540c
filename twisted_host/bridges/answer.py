"""Where a bridge writes a request's answer, on either lane (`twisted_host.http.lanes`).

The direct lane's `DirectRequest` is one itself; on the resource lane (Twisted's
parser, a Site of one's own, `--http twisted`) `RequestAnswer` is one over a
`twisted.web` `Request`. A bridge's exchange is written once, against `Answer`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import BinaryIO, Protocol

from twisted.internet.interfaces import IPushProducer
from twisted.web.server import Request

from twisted_host.http.body import BodyStream


class Answer(Protocol):
    """A request's answer: a status and headers, then body bytes, then the end."""

    @property
    def body_stream(self) -> BodyStream | None:
        """The body as it arrives, when the request has one (else read whole)."""

    @property
    def content(self) -> BinaryIO | None:
        """The body read whole, when it did not stream (None: no body)."""

    @property
    def finished(self) -> bool:
        """The answer is complete."""

    def start(
        self,
        status: int,
        headers: Iterable[tuple[bytes, bytes]],
        reason: bytes | None = None,
    ) -> None:
        """The status (with the app's reason phrase, or the standard one) and
        headers, sent with the first write."""

    def write(self, data: bytes) -> None:
        """Body bytes; dropped once the client has left."""

    def finish(self) -> None:
        """The answer is complete."""

    def abort(self) -> None:
        """Cut the connection: the answer stops short."""

    def register(self, producer: IPushProducer) -> None:
        """Pause `producer` while the client is slow to read."""

    def unregister(self) -> None:
        """The producer registered is done."""

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Call `callback` once if the client leaves before the answer is done."""


class RequestAnswer:
    """An `Answer` over a `twisted.web` `Request` (the resource lane)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.body_stream: BodyStream | None = getattr(request, "body_stream", None)
        self.content = request.content if self.body_stream is None else None
        request.defaultContentType = None  # the app's headers, and only those
        self._channel = request.channel  # the request drops it once finished

    @property
    def finished(self) -> bool:
        return bool(self.request.finished)

    def start(
        self,
        status: int,
        headers: Iterable[tuple[bytes, bytes]],
        reason: bytes | None = None,
    ) -> None:
        request = self.request
        request.setResponseCode(status, reason)
        # Headers go out as the app gave them: repeated names stay separate.
        raw = request.responseHeaders
        for name, value in headers:
            raw.addRawHeader(bytes(name), bytes(value))

    def write(self, data: bytes) -> None:
        self.request.write(data)

    def finish(self) -> None:
        self.request.finish()

    def abort(self) -> None:
        if self.request.finished:
            # The answer went out whole and the app failed after it: the request
            # has let go of its channel.
            self._channel.loseConnection()
        else:
            self.request.loseConnection()

    def register(self, producer: IPushProducer) -> None:
        self.request.registerProducer(producer, True)
        # A pipelined request may start while an earlier answer still fills the
        # transport's buffer: the channel does not tell a new producer so.
        if getattr(self._channel, "_waitingForTransport", False):
            producer.pauseProducing()

    def unregister(self) -> None:
        self.request.unregisterProducer()

    def on_lost(self, callback: Callable[[], None]) -> None:
        self.request.notifyFinish().addErrback(lambda _: callback())
