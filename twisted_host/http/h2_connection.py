"""One HTTP/2 connection: Twisted's `H2Connection`, counted by the Site like its
HTTP/1.1 channels (the connection cap, the idle deadline of its one sweep, a graceful
stop, the dashboard's open streams), and kept answering when a client sends frames
on streams it has already ended.

That last one is the 2019 "reset flood" (CVE-2019-9514): h2 answers each such frame
with RST_STREAM and closes the stream at once, while Twisted still handles the
events read before it (the request, its end); an answer written in that turn reaches
h2 for a stream h2 has closed, and Twisted's sending loop dies of `StreamClosedError`
(a traceback, a connection that answers no more). Here the loop skips such a stream
and lets the reset event, which h2 always emits, clean it up; each reset spends one
of Twisted's reset tokens, so a flood of them ends in GOAWAY ENHANCE_YOUR_CALM.
The rest of the floods (Rapid Reset, frames on closed streams, MadeYouReset) and a
prompt close are `GuardedH2Connection`'s (`twisted_host.http.h2_guard`).
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from h2.errors import ErrorCodes
from h2.events import RequestReceived
from h2.exceptions import StreamClosedError
from twisted.internet.error import ConnectionLost
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure

from twisted_host.http import rules
from twisted_host.http.h2_guard import GuardedH2Connection
from twisted_host.http.h2_tunnel import (
    connect_protocol,
    offer_extended_connect,
    open_tunnel,
    tunnels,
)
from twisted_host.http.interfaces import SiteView, Wire


class SiteH2Connection(GuardedH2Connection):
    """An `H2Connection` the Site tracks: the same figures as its HTTP/1.1 channel
    (`requests`, `persistent`, `answered`, `last_activity`, `check_deadlines`)."""

    site: SiteView  # type: ignore[assignment]  # None in Twisted's class

    def __init__(self, site: SiteView) -> None:
        super().__init__()
        self.site = site
        self.last_activity = monotonic()
        self.answered = False  # a stream has been answered (a graceful stop reads it)
        self._draining = False

    @property
    def requests(self) -> list[Any]:
        """The requests of the streams open (Any: Twisted's requests, untyped)."""
        return [stream._request for stream in self.streams.values()]

    @property
    def websockets(self) -> list[Wire]:
        """The WebSockets over HTTP/2 (RFC 8441) on its streams (`h2_tunnel`), which
        a graceful stop closes with 1001 as it does one that took an HTTP/1.1
        connection; the GOAWAY follows once their streams have ended."""
        return tunnels(self.streams.values())

    @property
    def persistent(self) -> int:
        return not self._draining

    @persistent.setter
    def persistent(self, value: int) -> None:
        # As on an HTTPChannel, false means: close once the answers in progress end
        # (then a GOAWAY says no error). Not a GOAWAY first, as RFC 9113 section 6.8
        # would allow: h2, the client library of httpx, takes any GOAWAY for the end
        # and fails the streams still being answered.
        self._draining = not value
        if self._draining and not self.streams:
            self.loseConnection()

    def connectionMade(self) -> None:
        super().connectionMade()
        offer_extended_connect(self.conn)
        assert self.transport is not None  # connected
        self.transport.write(self.conn.data_to_send())
        self.site.connections.add(self)

    def _requestReceived(self, event: RequestReceived) -> None:
        super()._requestReceived(event)
        protocol = connect_protocol(event)
        if protocol is not None:
            open_tunnel(self.streams[event.stream_id], protocol)

    def dataReceived(self, data: bytes) -> None:
        self.last_activity = monotonic()
        super().dataReceived(data)

    def _sendPrioritisedData(self, *args: Any) -> None:
        try:
            super()._sendPrioritisedData(*args)
        except StreamClosedError as closed:
            # h2 closed the stream in the turn Twisted wrote its answer: its reset
            # event is being handled; skip the stream until then, and go on.
            self._skip(closed.stream_id)
            self._reactor.callLater(0, self._sendPrioritisedData)

    def _skip(self, stream_id: int) -> None:
        queue = self._outboundStreamQueues.get(stream_id)
        if queue is not None:
            queue.clear()
            self.priority.block(stream_id)
            # Should no reset event come after all, the stream is forgotten anyway.
            self._reactor.callLater(0, self._forget, stream_id)

    def _forget(self, stream_id: int) -> None:
        stream = self.streams.get(stream_id)
        if stream is not None:
            stream.connectionLost(Failure(ConnectionLost("Stream closed by h2")))
            self._requestDone(stream_id)

    def _requestDone(self, streamID: int) -> None:
        super()._requestDone(streamID)
        self.answered = True
        self.last_activity = monotonic()
        if self._draining and not self.streams:
            self.loseConnection()

    def check_deadlines(self, now: float) -> None:
        """Close the connection once it has sent nothing for the idle timeout while
        no answer is under way: no stream open, or only streams whose request
        stalled before its end (an HTTP/1.1 channel does the same)."""
        idle = rules.idle_expired(self.last_activity, now, self.site.settings)
        if idle and not any(request.answering for request in self.requests):
            self.loseConnection()

    def loseConnection(self) -> None:
        """A GOAWAY (no error), then the door."""
        if self.transport is None or not self._stillProducing:
            return
        self.conn.close_connection(error_code=ErrorCodes.NO_ERROR)
        self._terminate(Failure(ConnectionLost("The server closed the connection")))

    def connectionLost(
        self, reason: Failure = connectionDone, _cancelTimeouts: bool = True
    ) -> None:
        super().connectionLost(reason, _cancelTimeouts)
        self.site.connection_lost(self)
