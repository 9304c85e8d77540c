"""The servers twistbridge is measured against, each runnable on its own:

    python -m bench.anchors bare-twisted PORT   a twisted.web leaf, default reactor, no log
    python -m bench.anchors stock-wsgi PORT     the Flask app in the stock WSGIResource
                                                on the reactor's pool, default reactor
and, for Daphne and uvicorn, `bench.anchors:starlette_app`: the Starlette app under
/asgi, as uvicorn is served by `twistbridge serve`.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.routing import Mount

from asgi_app import create_app as create_asgi_app
from core.content import HELLO

starlette_app = Starlette(routes=[Mount("/asgi", app=create_asgi_app())])


def _print_ready(name: str, port: int) -> None:
    print(f"{name} ready: http://127.0.0.1:{port}/", flush=True)


def bare_twisted(port: int) -> None:
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.server import Request, Site

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request: Request) -> bytes:
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            return HELLO.encode()

    site = Site(Hello())
    site.log = lambda request: None  # type: ignore[method-assign]
    reactor.listenTCP(port, site, interface="127.0.0.1")  # type: ignore[attr-defined]
    _print_ready("bare-twisted", port)
    reactor.run()  # type: ignore[attr-defined]


def stock_wsgi(port: int) -> None:
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.server import Site
    from twisted.web.wsgi import WSGIResource

    from wsgi_app import create_app as create_wsgi_app

    root = Resource()
    pool = reactor.getThreadPool()  # type: ignore[attr-defined]
    root.putChild(b"wsgi", WSGIResource(reactor, pool, create_wsgi_app()))
    site = Site(root)
    site.log = lambda request: None  # type: ignore[method-assign]
    reactor.listenTCP(port, site, interface="127.0.0.1")  # type: ignore[attr-defined]
    _print_ready("stock-wsgi", port)
    reactor.run()  # type: ignore[attr-defined]


ANCHORS = {"bare-twisted": bare_twisted, "stock-wsgi": stock_wsgi}

if __name__ == "__main__":
    ANCHORS[sys.argv[1]](int(sys.argv[2]))
