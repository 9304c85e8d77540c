"""Twisted's `H2Connection`, hardened against clients that make a connection work for
nothing: each of these ends in one log line and a GOAWAY, never a traceback.

- Streams reset before they are answered (CVE-2023-44487, "Rapid Reset"): HEADERS
  and RST_STREAM in one read. h2 has closed such a stream by the time Twisted handles
  its request; Twisted would render it and write to a stream h2 has forgotten
  (`StreamIDTooLowError`, twice a connection in the log). Such a request is never
  rendered: nothing is answered to a reset stream.
- Frames on streams already closed (RST_STREAM, WINDOW_UPDATE, DATA): h2 drops them
  without an event (a million in 3.8 s, seen), or answers each with RST_STREAM.
- Streams the *server* resets because of the client (CVE-2025-8671, "MadeYouReset":
  DATA on a half-closed stream): h2 reports them as resets. (A WINDOW_UPDATE of 0 is
  refused by h2 as a connection error, PROTOCOL_ERROR, at once.)

All of them spend the token bucket Twisted keeps for client resets (a burst of
`_resetTokenBurst`, refilled at `_resetTokenRate` a second); an empty bucket ends the
connection with GOAWAY ENHANCE_YOUR_CALM, as Twisted does for resets alone.

And a connection Twisted ends (a protocol error, a spent bucket, the Site's close,
the client's GOAWAY) closes at once: Twisted leaves itself registered as the TLS
transport's producer, and TLS waits for its producer before it closes, so such a
connection lingered (after a client's GOAWAY, for good: the Site had forgotten it,
its socket stayed open). An invalid connection preface gets its GOAWAY PROTOCOL_ERROR (RFC 9113
section 3.4), which h2 does not queue for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from h2.config import H2Configuration
from h2.connection import ConnectionState
from h2.connection import H2Connection as H2State
from h2.errors import ErrorCodes
from h2.events import StreamEnded, StreamReset
from hyperframe.frame import DataFrame, Frame, RstStreamFrame, WindowUpdateFrame
from twisted.internet.error import ConnectionLost
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web._http2 import H2Connection

# Frames h2 takes on a closed stream without a word (or with a RST_STREAM of its own).
_STRAY = (DataFrame, RstStreamFrame, WindowUpdateFrame)
LINGER = 5.0  # seconds between the end of a connection's writing and its cut


class _CountingState(H2State):
    """h2's connection state, asking `allow` about each frame on a closed stream:
    past the budget, such frames are dropped unread, the connection being ended."""

    def __init__(self, config: H2Configuration, allow: Callable[[], bool]) -> None:
        super().__init__(config)
        self._allow = allow

    def _receive_frame(self, frame: Frame) -> Any:
        stray = frame.stream_id and isinstance(frame, _STRAY)
        if stray and self._closed(frame.stream_id) and not self._allow():
            return []
        return super()._receive_frame(frame)

    def _closed(self, stream_id: int) -> bool:
        stream = self.streams.get(stream_id)
        if stream is not None:
            return stream.closed
        return stream_id <= self.highest_inbound_stream_id  # ended, then forgotten

    def is_open(self, stream_id: int) -> bool:
        """Whether h2 still has the stream open (the client has not reset it)."""
        stream = self.streams.get(stream_id)
        return stream is not None and not stream.closed


class GuardedH2Connection(H2Connection):
    """`H2Connection` with one budget for resets and stray frames, no answer to a
    stream already reset, and a prompt close."""

    _spent_on: str | None = None  # what emptied the bucket: the connection ends

    def __init__(self) -> None:
        super().__init__()
        self.conn: _CountingState = _CountingState(self.conn.config, self._stray)

    def dataReceived(self, data: bytes) -> None:
        if not self._stillProducing:
            return  # ended: what a client sends after its GOAWAY is dropped
        super().dataReceived(data)
        if self._spent_on is not None:
            self._calm(self._spent_on)  # out of h2's reading loop, now

    def _stray(self) -> bool:
        return self._spend("frames on closed streams")

    def _requestEnded(self, event: StreamEnded) -> None:
        if self.conn.is_open(event.stream_id):
            super()._requestEnded(event)
        # Else the client reset it in the same read: its reset event, next, cleans up.

    def _requestAborted(self, event: StreamReset) -> None:
        # Twisted's, with the budget shared with stray frames, and a line in the log.
        stream = self.streams.get(event.stream_id)
        if stream is not None:
            reason = f"Stream reset with code {event.error_code}"
            stream.connectionLost(Failure(ConnectionLost(reason)))
            self._requestDone(event.stream_id)
        if not self._spend("stream resets"):
            self._calm("stream resets")

    def _spend(self, what: str) -> bool:
        """Take a token from the reset bucket: False once it is empty."""
        if self._spent_on is not None:
            return False
        now = self._reactor.seconds()
        elapsed = max(0.0, now - self._resetTokenTimestamp)  # a wall clock may step
        self._resetTokens = min(
            self._resetTokenBurst,
            self._resetTokens + elapsed * self._resetTokenRate,
        )
        self._resetTokenTimestamp = now
        if self._resetTokens < 1:
            self._spent_on = what
            return False
        self._resetTokens -= 1
        return True

    def _calm(self, what: str) -> None:
        """GOAWAY ENHANCE_YOUR_CALM, and one line in the log (the server's own lines
        go to stderr, which twistd's log takes too): never a traceback."""
        if not self._stillProducing:
            return
        peer = _peer(self)
        print(
            f"twistbridge: HTTP/2 client {peer}: too many {what}, "
            "GOAWAY ENHANCE_YOUR_CALM",
            file=sys.stderr,
            flush=True,
        )
        self.conn.close_connection(error_code=ErrorCodes.ENHANCE_YOUR_CALM)
        self._terminate(Failure(ConnectionLost(f"Too many {what}")))

    def _terminate(self, reason: Failure) -> None:
        if self.conn.state_machine.state is not ConnectionState.CLOSED:
            # No GOAWAY queued: h2 raised before it could (an invalid preface).
            self.conn.close_connection(error_code=ErrorCodes.PROTOCOL_ERROR)
        super()._terminate(reason)

    def connectionLost(
        self, reason: Failure = connectionDone, _cancelTimeouts: bool = True
    ) -> None:
        transport: Any = self.transport  # TLS, a consumer: ITransport says not
        super().connectionLost(reason, _cancelTimeouts)
        beneath = getattr(transport, "transport", None)
        if beneath is None or beneath.disconnected:
            return  # lost to the network: nothing left to close
        # Ended here (an error, a spent budget, the Site's close, the client's
        # GOAWAY): Twisted asked TLS to close, which waits for its producer, this
        # connection, to go. Then TLS sends its close_notify and waits for the
        # client's, reading whatever a flood still sends. RFC 8446 section 6.1 lets
        # the closing side go without waiting: the write side closes once the
        # GOAWAY and the close_notify are out, nothing more is read, and the
        # connection is cut LINGER seconds later (at once, a reset could overtake
        # the GOAWAY in a client that has not read it yet: nginx lingers too).
        transport.unregisterProducer()
        beneath.stopReading()
        beneath.loseWriteConnection()
        self._reactor.callLater(LINGER, beneath.abortConnection)


def _peer(connection: H2Connection) -> str:
    address = connection.transport.getPeer() if connection.transport else None
    return f"{getattr(address, 'host', '?')}:{getattr(address, 'port', '?')}"
