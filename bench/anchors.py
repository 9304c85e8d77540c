"""The servers twistbridge is measured against, each runnable on its own:

    python -m bench.anchors bare-twisted PORT   a twisted.web leaf, default reactor, no log
    python -m bench.anchors stock-wsgi PORT     the Flask app in the stock WSGIResource
                                                on the reactor's pool, default reactor
and, for Daphne, uvicorn and granian's ASGI server, `bench.anchors:starlette_app`: the
Starlette app under /asgi, as uvicorn is served by `twistbridge serve`; for granian's
WSGI server, `bench.anchors:flask_app`: the Flask app under /wsgi, as the Site mounts it.

Twisted is imported inside the functions: Daphne imports this module for
`starlette_app` and installs its own reactor, which importing
`twisted.internet.reactor` here first would prevent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from starlette.applications import Starlette
from starlette.routing import Mount
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from asgi_app import create_app as create_asgi_app
from core.content import HELLO
from wsgi_app import create_app as create_wsgi_app

if TYPE_CHECKING:
    from twisted.internet.interfaces import IListeningPort
    from twisted.python.threadpool import ThreadPool
    from twisted.web.resource import Resource
    from twisted.web.server import Site

starlette_app = Starlette(routes=[Mount("/asgi", app=create_asgi_app())])
flask_app = DispatcherMiddleware(NotFound(), {"/wsgi": create_wsgi_app()})

T = TypeVar("T")


class _Reactor(Protocol):
    """The reactor calls made here. Twisted types the reactor with its zope
    interfaces, whose methods are declared without `self`: mypy binds the first
    argument (the port of `listenTCP`) as `self` and rejects `run()`."""

    def listenTCP(
        self, port: int, factory: Site, backlog: int = 50, interface: str = ""
    ) -> IListeningPort: ...

    def getThreadPool(self) -> ThreadPool: ...

    def run(self) -> None: ...


def _new(cls: type[T], *args: object) -> T:
    """`cls(*args)` for the Twisted classes whose `__init__` is unannotated
    (`Resource`, `Site`, `WSGIResource`), which strict mypy will not call."""
    return cast("Callable[..., T]", cls)(*args)


def _reactor() -> _Reactor:
    """The default reactor, installed by this import."""
    from twisted.internet import reactor

    return cast(_Reactor, reactor)


def _serve(name: str, port: int, root: Resource) -> None:
    """Serve `root` on 127.0.0.1:`port` without an access log, until stopped."""
    from twisted.web.http import Request
    from twisted.web.server import Site

    class QuietSite(Site):
        def log(self, request: Request) -> None:
            """No access log: the anchors are measured without one."""

    reactor = _reactor()
    reactor.listenTCP(port, _new(QuietSite, root), interface="127.0.0.1")
    print(f"{name} ready: http://127.0.0.1:{port}/", flush=True)
    reactor.run()


def bare_twisted(port: int) -> None:
    from twisted.web.resource import Resource
    from twisted.web.server import Request

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request: Request) -> bytes:
            request.responseHeaders.setRawHeaders(
                b"content-type", [b"text/plain; charset=utf-8"]
            )
            return HELLO.encode()

    _serve("bare-twisted", port, _new(Hello))


def stock_wsgi(port: int) -> None:
    reactor = _reactor()
    from twisted.web.resource import IResource, Resource
    from twisted.web.wsgi import WSGIResource

    root = _new(Resource)
    wsgi = _new(WSGIResource, reactor, reactor.getThreadPool(), create_wsgi_app())
    # Resource and WSGIResource implement IResource through zope's @implementer,
    # which mypy does not see.
    root.putChild(b"wsgi", cast(IResource, wsgi))
    _serve("stock-wsgi", port, root)


ANCHORS: dict[str, Callable[[int], None]] = {
    "bare-twisted": bare_twisted,
    "stock-wsgi": stock_wsgi,
}

if __name__ == "__main__":
    ANCHORS[sys.argv[1]](int(sys.argv[2]))
