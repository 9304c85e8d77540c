"""The Site: the three mounts side by side under one root, the index page, and the
access log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from jinja2 import Environment, PackageLoader, select_autoescape
from twisted.internet.interfaces import IReactorCore
from twisted.web.http import combinedLogFormatter
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from core.contract import FEATURES
from core.settings import Settings
from twisted_host.native import create_resource
from twisted_host.native.errors import Page, html
from twisted_host.wsgi import WSGIMount
from wsgi_app import create_app as create_wsgi_app

_templates = Environment(
    loader=PackageLoader("twisted_host"), autoescape=select_autoescape()
)


@dataclass(frozen=True)
class _Mount:
    name: str
    prefix: str
    base: str  # what links start with: the prefix, or an absolute URL for uvicorn


class Index(Page):
    """Every feature on every mount, as links."""

    def __init__(self, uvicorn_port: int | None) -> None:
        super().__init__()
        self.uvicorn_port = uvicorn_port

    def render_GET(self, request: Request) -> bytes:
        mounts = [_Mount(name, f"/{name}", f"/{name}") for name in ("native", "wsgi")]
        mounts.append(_Mount("asgi", "/asgi", "/asgi"))
        if self.uvicorn_port:
            host = request.getRequestHostname().decode("ascii", "replace")
            base = f"http://{host}:{self.uvicorn_port}/asgi"
            mounts.append(_Mount("uvicorn", "/asgi", base))
        page = _templates.get_template("index.html").render(
            features=FEATURES, mounts=mounts, uvicorn_url=bool(self.uvicorn_port)
        )
        return html(request, page)


class TwistbridgeSite(Site):
    """A Site whose access log (Twisted's combined format) goes to a stream, or off."""

    def __init__(self, root: Resource, access_log: TextIO | None) -> None:
        super().__init__(root)
        self.access_log = access_log

    def log(self, request: Request) -> None:
        if self.access_log is not None:
            line = combinedLogFormatter(self._logDateTime, request)
            self.access_log.write(line + "\n")


def create_root(
    settings: Settings,
    reactor: IReactorCore,
    asgi: Resource | None = None,
    uvicorn_port: int | None = None,
) -> Resource:
    root = Index(uvicorn_port)
    root.putChild(b"", root)
    root.putChild(b"native", create_resource(settings))
    wsgi_app = create_wsgi_app(settings)
    root.putChild(b"wsgi", WSGIMount(reactor, wsgi_app, settings.wsgi_threads))
    if asgi is not None:
        root.putChild(b"asgi", asgi)
    return root
