"""What the modules of the edge see of each other: the Site as its channels and
requests use it, a channel as its requests and their bodies use it, a connection as
the Site tracks it. Each module types its neighbours by these, not by their classes,
so that no two modules of `twisted_host.http` import each other (the Site builds the
channels, a channel its requests, a request its body: the imports go one way)."""

from __future__ import annotations

from typing import Any, Protocol

from twisted.python.failure import Failure

from core.settings import Settings
from twisted_host.http.access_log import Logged
from twisted_host.http.rules import Head, ProxyHeaders, Refusal


class Wire(Protocol):
    """A WebSocket that took over a connection (`http.websocket.WireProtocol`)."""

    request: Any  # its upgrade request (Twisted's), None once it has ended

    def loseConnection(self, code: int = 1000, reason: str = "") -> None: ...


class Connection(Protocol):
    """What the Site tracks of an open connection, HTTP/1.1 (`TwistbridgeChannel`)
    or HTTP/2 (`twisted_host.http.h2_connection.SiteH2Connection`): its deadlines,
    a graceful stop, the dashboard's open streams."""

    answered: bool  # a request has been answered
    last_activity: float  # monotonic seconds

    @property
    def persistent(self) -> int: ...

    @persistent.setter
    def persistent(self, value: int) -> None: ...  # 0: close after the answers

    @property
    def websockets(self) -> list[Wire]: ...  # those open on it (a graceful stop's)

    @property
    def requests(self) -> list[Any]: ...  # Any: Twisted's requests, untyped

    @property
    def transport(self) -> Any: ...

    def check_deadlines(self, now: float) -> None: ...

    def loseConnection(self) -> None: ...


class RequestObserver(Protocol):
    """Told when a request starts (handed to its resource: once fully received, or
    at its headers for a resource that streams bodies) and ends; `start` returns a
    token that `end` gets back, with the method and the status sent."""

    def start(self, path: bytes) -> object: ...

    def end(self, token: object, method: bytes, code: int) -> None: ...


class Bridge(Protocol):
    """What serves a mount on the direct lane (`http.lanes`): the ASGI or the WSGI
    bridge."""

    def serve(self, request: Any) -> None:
        """Start answering a `http.direct.DirectRequest` (Any: that module builds on
        this one)."""


class LaneTable(Protocol):
    """The bridges' mounts by prefix (`http.lanes.Lanes`), as a channel asks it."""

    def __bool__(self) -> bool: ...

    def route(self, target: bytes) -> tuple[bytes, Bridge] | None: ...


class SiteView(Protocol):
    """The Site (`http.site.TwistbridgeSite`) as its connections and requests use it."""

    in_flight: int  # requests handed to a resource and not yet ended

    @property
    def saturated(self) -> bool: ...  # --limit-concurrency reached

    def request_ended(self) -> None: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def proxy(self) -> ProxyHeaders | None: ...

    @property
    def observer(self) -> RequestObserver | None: ...

    @property
    def connections(self) -> set[Connection]: ...

    @property
    def lanes(self) -> LaneTable: ...

    def getResourceFor(self, request: Any) -> Any: ...  # Twisted's, untyped

    def log(self, request: Logged) -> None: ...

    def connection_lost(self, channel: Connection) -> None: ...


class Edge(Protocol):
    """An HTTP/1.1 channel (`http.channel.TwistbridgeChannel`) as its requests and
    their bodies use it."""

    refused: bool  # it answered a refusal: it reads and answers no more
    handling: bool  # a request is being answered (the idle deadline waits)
    last_activity: float  # monotonic seconds
    body_held: bool  # a request body paused reading

    @property
    def site(self) -> SiteView: ...

    @property
    def limits(self) -> Settings: ...

    @property
    def transport(self) -> Any: ...

    @property
    def _networkProducer(self) -> Any: ...  # Twisted's, untyped

    @property
    def _waitingForTransport(self) -> bool: ...

    def refuse(self, status: int, detail: str) -> None: ...

    def refuse_with(self, refused: Refusal) -> None: ...

    def admits(self, head: Head) -> bool: ...

    def takes_body(self, received: int) -> bool: ...

    def loseConnection(self) -> None: ...

    def body_resumed(self) -> None: ...


class BodyOwner(Protocol):
    """The request a streamed body belongs to, on either lane (`http.lanes`): a
    `twisted.web` Request or a `http.direct.DirectRequest`."""

    @property
    def startedWriting(self) -> bool | int: ...

    @property
    def finished(self) -> bool | int: ...

    def connectionLost(self, reason: Failure) -> None: ...
