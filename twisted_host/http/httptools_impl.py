"""The connection, parsed in C: the edge's channel with `httptools` (llhttp, the parser
under uvicorn and Node.js) in place of Twisted's line-by-line Python parser.

Only the reading side changes: `twisted.web` Requests answered through `HTTPChannel`'s
machinery, every limit of `TwistbridgeChannel` with the same status and page. llhttp
reads pipelined requests ahead of their answers, so they wait in a queue and are
answered in order, as Twisted does; a refusal owed to one read ahead waits for the
answers before it. A request with a body whose resource streams bodies (the bridges,
`twisted_host.http.body`) is handed over at its headers once it heads the queue, its
body fed as llhttp reads it; reading stops while the app holds what it has not read,
and at the body of a request read ahead until its turn. What llhttp does not decide
(Transfer-Encoding values, versions served, persistence) follows `channel.py`.

At the end of each head the request takes its lane (`lanes`): a `twisted.web`
Request through the resource tree, or, for a target under a bridge's mount, a
`DirectRequest` (`direct`) that the bridge answers without one. Both stand in the
same queue, so the order, the body's flow and the refusals above hold for both.
"""

from __future__ import annotations

from collections import deque
from time import monotonic
from typing import TYPE_CHECKING, Any

import httptools
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel

from twisted_host.http import rules
from twisted_host.http.channel import TwistbridgeChannel
from twisted_host.http.direct import DirectRequest
from twisted_host.http.lanes import resource_request
from twisted_host.http.lean import LeanChannel

if TYPE_CHECKING:
    from twisted_host.http.request import TwistbridgeRequest

    # A request of either lane: a `Request` through the tree, or a bridge's own.
    AnyRequest = TwistbridgeRequest | DirectRequest

_SLICE = 4096  # bytes parsed at a time: bounds how many requests one read makes
_AHEAD = 16  # complete requests waiting for their turn before reading stops


# A request read whole, waiting: method, target, version, the connection persists.
_Ready = tuple["AnyRequest", bytes, bytes, bytes, bool]


class _Stop(Exception):
    """Raised in a parser callback to stop parsing (the request was refused)."""


class HttptoolsChannel(LeanChannel):
    """A `TwistbridgeChannel` whose requests are parsed by llhttp."""

    def __init__(self) -> None:
        super().__init__()
        self._parser = httptools.HttpRequestParser(self)
        self._held = b""  # bytes read but not yet parsed
        self._ready: deque[_Ready] = deque()
        self._request: AnyRequest | None = None  # its body is arriving
        self._streaming = False  # and it was handed over at its headers
        # A request read ahead whose body is next: parsing waits for its turn, when
        # it may be handed over as the head of the queue is.
        self._parked: AnyRequest | None = None
        self._persistent = True  # the connection persists after its answer
        self._lost = False  # the connection is gone
        self._answering = False  # the head of the queue is being answered
        self._dispatching = False  # inside its requestReceived
        self._running = False
        self._upgrading = False  # llhttp stopped at an Upgrade: wait for its answer
        self._done_reading = False  # a request closes the connection: read no more
        self._later: tuple[int, str] | None = None  # a refusal owed after the answers
        self._in_head = False
        self._head_seen = 0
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._length: int | None = None
        self._chunked = False
        self._expects: list[bytes] = []  # its Expect values
        self._trailer = False  # the trailer section may be next (see on_chunk_header)
        self._connection = False  # a Connection header came
        self._cookie = False  # a Cookie header came
        self._upgrade = False  # an Upgrade header came: the resource lane's
        self._version = b""

    # --- bytes in ----------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        if self.refused:
            return
        self.last_activity = monotonic()
        self._held = self._held + data if self._held else data
        self._run()

    def rawDataReceived(self, data: bytes) -> None:
        raise AssertionError("llhttp reads every byte; there is no raw mode")

    def setLineMode(self, extra: bytes = b"") -> None:
        # `HTTPChannel.requestDone` calls this once an answer is done: read on.
        self._run()

    def requestDone(self, request: Any) -> None:
        stream = getattr(request, "body_stream", None)  # Twisted's Request has none
        if stream is None or stream.ended:
            self._answering = False
        # else: answered before its body ended; done when it has (StreamingChannel).
        super().requestDone(request)

    def body_resumed(self) -> None:
        # The app took the body held for it (or its answer is done): parse on, from
        # the reactor, not from inside the app's read or the channel's requestDone.
        if self._held:
            self.callLater(0, self._resume)

    def _resume(self) -> None:
        if not self._lost:
            self._run()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._lost = True
        super().connectionLost(reason)
        # The parser holds this channel's callbacks and the channel holds the parser:
        # a reference cycle, which left every closed connection (with all it held:
        # some 60 objects after a WebSocket) to wait for a full collection of the
        # garbage collector. Nothing is parsed once the connection is gone (`_run`):
        # without the parser, the connection is freed as it closes.
        vars(self).pop("_parser", None)  # (a second call finds it gone)

    def _run(self) -> None:
        """Answer what is ready, then parse what is held, until something waits."""
        if self._running or self._lost:
            return  # answered at once (the loop below goes on), or no one to answer
        self._running = True
        try:
            while not self.refused:
                if self._ready:
                    if self._answering:
                        break
                    self._dispatch()
                    if "dataReceived" in vars(self):
                        self._hand_over()  # Twisted's WebSocket took the transport
                        return
                elif self._later is not None:
                    if not self._answering:
                        TwistbridgeChannel.refuse(self, *self._later)
                    break
                elif self._parked is not None:
                    if self._answering:
                        break
                    self._unpark(self._parked)
                elif self._held and not (self._done_reading or self.body_held):
                    if self._upgrading:
                        if self._answering:
                            break
                        # The upgrade was answered as plain HTTP: a fresh parser.
                        self._upgrading = False
                        self._parser = httptools.HttpRequestParser(self)
                    data, self._held = self._held, b""
                    self._held = self._feed(data)
                else:
                    break
            if self._held and (len(self._held) > _SLICE or len(self._ready) >= _AHEAD):
                self._networkProducer.pauseProducing()  # resumed by requestDone
            if self._in_head and self.header_started is None and not self._answering:
                self.header_started = monotonic()  # its turn: its deadline runs
        finally:
            self._running = False

    def _feed(self, data: bytes) -> bytes:
        """Parse `data` until reading must wait; return the bytes not parsed."""
        parser = self._parser
        start, end = 0, len(data)
        limit = self.limits.max_request_line + self.limits.max_header_bytes + _SLICE
        while (
            start < end
            and len(self._ready) < _AHEAD
            and not self.body_held
            and self._parked is None
        ):
            piece = data if end <= _SLICE else data[start : start + _SLICE]
            try:
                parser.feed_data(piece)
            except httptools.HttpParserUpgrade as upgrade:
                self._upgrading = True
                return data[start + int(upgrade.args[0]) :]
            except httptools.HttpParserError as error:
                # Read from `error`, never kept in a local: a local holding what a
                # callback raised is a cycle through its traceback's frames (this
                # one among them), which left every such request to the garbage
                # collector. A fault of ours, not the request's, is raised: logged.
                if not isinstance(error.__context__, _Stop | None):
                    raise error.__context__ from error
                if not (self.refused or self._later or self._done_reading):
                    self.refuse_with(rules.llhttp_refusal(str(error), self._trailer))
                return b""
            start += len(piece)
            if self._in_head:
                # One header line never ending: the exact checks need it complete.
                self._head_seen += len(piece)
                if self._head_seen > limit:
                    self.refuse_with(rules.header_line_length(self.limits))
                    return b""
        return data[start:]

    def _hand_over(self) -> None:
        data, self._held = self._held, b""
        self._networkProducer.resumeProducing()
        if data:
            self.dataReceived(data)

    def _dispatch(self) -> None:
        request, method, target, version, persistent = self._ready.popleft()
        if not persistent:
            self.persistent = False  # never back to True: shutdown sets it False too
        self._answering = True
        self._handlingRequest = True
        self._dispatching = True
        try:
            request.requestReceived(method, target, version)
        finally:
            self._dispatching = False

    def refuse(self, status: int, detail: str) -> None:
        if self.refused:
            return
        if self._dispatching or self._streaming:
            # The request at the head of the queue (or its body, being read): its
            # answer is due now, and any refusal owed to a later one goes with the
            # connection it closes.
            super().refuse(status, detail)
            return
        if self._later is not None:
            return
        if self._answering or self._ready:
            # Answers to requests read earlier are owed first, in order.
            self._later = (status, detail)
            self._done_reading = True
            return
        super().refuse(status, detail)

    # --- llhttp's callbacks ------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_head = True
        self._head_seen = 0
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self._header_count = 0
        self._length = None
        self._chunked = self._connection = self._cookie = False
        self._expects = []
        self._upgrade = False
        self._trailer = False
        if self.header_started is None and not (self._answering or self._ready):
            self.header_started = self.last_activity

    def on_url(self, url: bytes) -> None:
        self._url += url
        line = len(self._url) + len(self._parser.get_method()) + 10
        refused = rules.request_line_length(line, self.limits)
        if refused is not None:
            self.refuse_with(refused)
            raise _Stop

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._request is not None:
            # A trailer field (llhttp checked its syntax): as Twisted, kept unread.
            refused = rules.trailer_field(name + b":" + value)
            if refused is not None:
                self.refuse_with(refused)
                raise _Stop
            return
        self._header_bytes += len(name) + len(value) + 4
        self._header_count += 1
        refused = rules.header_block(
            self._header_count, self._header_bytes, self.limits
        )
        if refused is not None:
            self.refuse_with(refused)
            raise _Stop
        if value[-1:] in (b" ", b"\t"):
            value = value.rstrip(b" \t")  # llhttp strips the leading blanks only
        lower = name.lower()
        if lower == b"content-length":
            self._length = int(value)  # llhttp checked: digits, one value
            refused = rules.content_length(value, self.limits)  # 413 before the body
        elif lower == b"transfer-encoding":
            # "chunked", once, or nothing (llhttp takes a list).
            refused = rules.transfer_encoding(value, self._chunked)
            self._chunked = True
        if refused is not None:
            self.refuse_with(refused)
            raise _Stop
        elif lower == b"expect":
            self._expects.append(value)
        elif lower == b"connection":
            self._connection = True
        elif lower == b"cookie":
            self._cookie = True
        elif lower == b"upgrade":
            self._upgrade = True
        self._headers.append((lower, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        version = b"HTTP/" + self._parser.get_http_version().encode()
        refused = rules.version(version)
        if refused is not None:
            self.refuse_with(refused)
            raise _Stop
        self._version = version
        if not (self._answering or self._ready):
            self.header_started = None
        lanes = self.site.lanes
        route = lanes.route(self._url) if lanes and not self._upgrade else None
        head = rules.Head(self._parser.get_method(), self._url, version, self._headers)
        # An HTTP/1.1 request without a Connection header persists, under any rule.
        ask = self._connection or version != b"HTTP/1.1"
        request: AnyRequest
        if route is None:
            request = resource_request(self, head, self._length, self._cookie)
            self._persistent = not ask or self.checkPersistence(request, version)
        else:
            request = DirectRequest(self, route[1], route[0], head)
            connection = head.values(b"connection")
            self._persistent = not ask or rules.persists(version, connection)
            request.persistent = self._persistent
        self.requests.append(request)
        self._request = request
        if self._answering or self._ready:
            if self._chunked or self._length:
                self._parked = request  # read ahead: its body waits for its turn
            return
        self._at_the_head(request)
        if self.refused:
            raise _Stop

    def _at_the_head(self, request: AnyRequest) -> None:
        """The request whose body is next heads the queue: hand it over now if its
        resource streams bodies (its 100 Continue then comes with the app's first
        read), else answer its Expect here (its body is read whole first)."""
        expect = bool(self._expects) and rules.expects_continue(
            self._version, self._expects
        )
        if self._chunked or self._length:
            if not self._persistent:
                self.persistent = False
            # Not `_handlingRequest` while the body arrives: as under Twisted's
            # parser, a full send buffer pauses reading, and its draining resumes it.
            self._answering = self._dispatching = True
            try:
                method, target = self._parser.get_method(), self._url
                streams = request.dispatch_early(method, target, self._version, expect)
            finally:
                self._dispatching = False
            self._answering = self._streaming = streams
            if streams:
                return
        if expect and not self.refused:
            # Twisted's own: StreamingChannel's defers it to the end of the headers,
            # which that channel's parser reaches through allHeadersReceived.
            HTTPChannel._send100Continue(self)

    def _unpark(self, request: AnyRequest) -> None:
        """A request read ahead, its body not all in, has its turn."""
        self._parked = None
        self._at_the_head(request)
        # What of its body was parsed with its head: the stream starts with it.
        read = request.content.getvalue() if request.content is not None else b""
        if request.body_stream is not None and read:
            request.body_stream.feed(read)

    def on_chunk_header(self) -> None:
        # Until a byte of it arrives, this may be the last chunk, which the trailer
        # section follows: a parse error then is the trailer's.
        self._trailer = True

    def on_body(self, body: bytes) -> None:
        self._trailer = False
        request = self._request
        assert request is not None
        request.handleContentChunk(body)
        if self.refused or self._later is not None:
            raise _Stop

    def on_message_complete(self) -> None:
        request, self._request = self._request, None
        assert request is not None
        if self._parked is request:
            self._parked = None  # all in: it waits in the queue, whole
        persistent = self._persistent
        method = self._parser.get_method()
        if self._streaming:
            self._streaming = False
            self._handlingRequest = True
            request.requestReceived(method, self._url, self._version)  # the body ends
            early, self._answered_early = self._answered_early, None
            if early is not None:
                self.requestDone(early)  # answered before its body ended: done now
        else:
            self._ready.append((request, method, self._url, self._version, persistent))
        if not persistent:
            # Twisted's rule: this answer closes the connection; read nothing after.
            self._done_reading = True
            raise _Stop
