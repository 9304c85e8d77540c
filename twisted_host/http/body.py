"""Request bodies delivered as they arrive, to resources that say they stream.

twisted.web reads a whole body into `request.content` before it calls the resource;
uvicorn and gunicorn call the app once the headers are in and hand it the body as it
comes. A resource with `streams_body = True` (the WSGI and ASGI bridges) gets the
latter here: the channel dispatches the request when its headers are complete, and
the request's `body_stream` (a `BodyStream`) takes the body from the channel and
gives it to the app's reads. While the app reads nothing, the stream holds at most
`HIGH_WATER` bytes and then pauses the transport (the client's sends wait in its
TCP window); while the app waits for bytes the client does not send, the idle
timeout runs; `Expect: 100-continue` is answered at the app's first read, as uvicorn
does. Native resources keep Twisted's buffered body.
"""

from __future__ import annotations

from collections import deque
from time import monotonic
from typing import Any

from twisted.internet import defer
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel

from twisted_host.http import rules
from twisted_host.http.interfaces import BodyOwner, Edge

HIGH_WATER = 64 * 1024  # bytes held for an app that is not reading: then pause
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BodyInterrupted(ConnectionError):
    """The body will not arrive whole: the client left, or it passed the limit."""


class BodyStream:
    """One request's body, fed by the channel and read by one reader at a time."""

    def __init__(
        self,
        channel: Edge,
        request: BodyOwner,
        expect_continue: bool,
    ) -> None:
        self.channel = channel
        self.request = request
        self.received = 0  # bytes of the body so far, read or not
        self._chunks: deque[bytes] = deque()
        self._held = 0  # bytes in _chunks
        self._ended = False
        self._error: Failure | None = None
        self._reader: defer.Deferred[bytes] | None = None
        self._paused = False
        self._dropping = False  # the answer is complete: the rest of the body is not
        self._continue = expect_continue

    @property
    def ended(self) -> bool:
        """The last byte of the body has arrived."""
        return self._ended

    @property
    def drained(self) -> bool:
        """The body has arrived and every byte of it has been read."""
        return self._ended and not self._chunks

    # --- the channel's side ------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        over = rules.body_size(self.received, self.channel.limits)
        if over is not None:
            self._over(over)
            return
        if self._dropping or self._error is not None:
            return
        reader, self._reader = self._reader, None
        if reader is not None:
            self.channel.handling = True
            reader.callback(data)
            return
        self._chunks.append(data)
        self._held += len(data)
        if self._held > HIGH_WATER:
            self._pause()

    def end(self) -> None:
        self._ended = True
        self._wake()

    def interrupt(self, reason: Failure) -> None:
        """The connection is gone: a waiting read fails, and so will later ones."""
        if self._error is None and not self._ended:
            self._error = reason
        self._wake()

    def drop(self) -> None:
        """The answer is complete while the body still arrives: read on, keep none
        (a close with unread data would reset the connection under the answer)."""
        self._dropping = True
        self._chunks.clear()
        self._held = 0
        self._resume()

    # --- the reader's side (the reactor thread) ------------------------------------

    def read(self) -> defer.Deferred[bytes]:
        """The bytes that arrived since the last read (waiting for some if none
        have); b"" once the body is over. Fails with `BodyInterrupted`."""
        if self._continue:
            self._continue = False
            if not self.request.startedWriting and self.channel.transport is not None:
                self.channel.transport.write(_CONTINUE)
        if self._chunks:
            data = b"".join(self._chunks)
            self._chunks.clear()
            self._held = 0
            self._resume()
            return defer.succeed(data)
        if self._error is not None:
            return defer.fail(BodyInterrupted(self._error.getErrorMessage()))
        if self._ended:
            return defer.succeed(b"")
        self._reader = defer.Deferred()
        self._resume()
        # The app waits on the client: a client that sends nothing for the idle
        # timeout is closed, as while it sends headers (the Site's sweep).
        self.channel.handling = False
        self.channel.last_activity = monotonic()
        return self._reader

    def _wake(self) -> None:
        reader, self._reader = self._reader, None
        if reader is None:
            return
        self.channel.handling = True
        if self._error is not None:
            reader.errback(BodyInterrupted(self._error.getErrorMessage()))
        else:
            reader.callback(b"")

    def _over(self, over: rules.Refusal) -> None:
        channel = self.channel
        if channel.refused:
            return
        if self.request.startedWriting or self.request.finished:
            # An answer has begun: a 413 cannot follow it; cut the connection.
            channel.refused = True
            channel.loseConnection()
        else:
            channel.refuse_with(over)
        if not self.request.finished:
            # For the app it is as if the client left: its writes are dropped.
            self.request.connectionLost(Failure(BodyInterrupted(over.detail)))

    def _pause(self) -> None:
        if not self._paused:
            self._paused = self.channel.body_held = True
            self.channel._networkProducer.pauseProducing()

    def _resume(self) -> None:
        channel = self.channel
        if self._paused:
            self._paused = channel.body_held = False
            # Not if the channel itself paused reading, its answers being unread.
            if not channel._waitingForTransport:
                channel._networkProducer.resumeProducing()
            channel.body_resumed()


class StreamingChannel(HTTPChannel):
    """The channel's part: dispatch at the end of the headers for resources that
    stream, keep a body's pause through the channel's own resumes, and hold back the
    next request until the body of an answered one has been read off the wire."""

    body_held = False  # a BodyStream paused the transport
    refused: bool  # TwistbridgeChannel's: the connection was refused, stop
    _answered_early: Any = None  # a request answered before its body ended

    def allHeadersReceived(self) -> None:
        super().allHeadersReceived()
        request = self.requests[-1]
        expects = request.requestHeaders.getRawHeaders(b"expect") or []
        expect = rules.expects_continue(self._version, expects)
        streams = self.length != 0 and request.dispatch_early(
            self._command, self._path, self._version, expect
        )
        if expect and not streams and not self.refused:
            super()._send100Continue()

    def _send100Continue(self) -> None:
        """Twisted's own choice (its first Expect line only): the rule decides in
        allHeadersReceived instead, and a streamed body's first read sends it."""

    def body_resumed(self) -> None:
        """A body's pause ended: a parser holding bytes read ahead parses on (Twisted's
        holds none: it handed over every byte it was given)."""

    def resumeProducing(self) -> None:
        super().resumeProducing()
        if self.body_held:  # the app has not read what it holds: stay paused
            self._networkProducer.pauseProducing()

    def requestDone(self, request: Any) -> None:
        stream: BodyStream | None = getattr(request, "body_stream", None)
        if stream is not None:
            stream.drop()  # what the app left unread goes, and so does its pause
            if not stream.ended:
                self._answered_early = request  # done once its body has passed
                return
        super().requestDone(request)

    def allContentReceived(self) -> None:
        early, self._answered_early = self._answered_early, None
        super().allContentReceived()
        if early is not None:
            self.requestDone(early)  # its body has ended: done this time
