"""The Site: the three mounts side by side under one root, the dashboard, `/stats`,
the compare pages, and the access log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TextIO

from twisted.internet.interfaces import IReactorCore
from twisted.web.resource import Resource
from twisted.web.server import Request

from core.contract import FEATURES
from core.settings import Settings
from twisted_host.access_log import combined_line
from twisted_host.compare import CompareIndex
from twisted_host.edge import EdgeSite
from twisted_host.native import create_resource
from twisted_host.native.errors import Page, html
from twisted_host.stats import MOUNTS, MeasuredRequest, Stats
from twisted_host.templating import render, uvicorn_base
from twisted_host.wsgi import WSGIMount
from wsgi_app import create_app as create_wsgi_app


@dataclass(frozen=True)
class _Mount:
    name: str
    prefix: str
    base: str  # what links start with: the prefix, or an absolute URL for uvicorn
    label: str  # what serves it


_SERVED_BY = ("twisted.web", "Flask in WSGIResource", "Starlette on the ASGI bridge")


class Index(Page):
    """The dashboard: every feature on every mount as links, and the live figures
    (rendered into the page, so it reads without JavaScript; a script refreshes them
    from `/stats` every second)."""

    def __init__(self, uvicorn_port: int | None, stats: Stats) -> None:
        super().__init__()
        self.uvicorn_port = uvicorn_port
        self.stats = stats

    def render_GET(self, request: Request) -> bytes:
        mounts = [
            _Mount(name, f"/{name}", f"/{name}", label)
            for name, label in zip(MOUNTS, _SERVED_BY, strict=True)
        ]
        base = uvicorn_base(request, self.uvicorn_port)
        if base is not None:
            label = f"Starlette on uvicorn, port {self.uvicorn_port}"
            mounts.append(_Mount("uvicorn", "/asgi", base, label))
        page = render(
            "index.html",
            features=FEATURES,
            mounts=mounts,
            uvicorn_url=base is not None,
            stats=self.stats.snapshot(),
            stat_mounts=(*MOUNTS, "site"),
        )
        return html(request, page)


class StatsResource(Page):
    """`/stats`: the dashboard's figures as JSON (fields in docs/STATS.md)."""

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self.stats = stats

    def render_GET(self, request: Request) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        # Figures of a moment: a cached copy would be a lie.
        request.setHeader(b"cache-control", b"no-store")
        return json.dumps(self.stats.snapshot()).encode()


class TwistbridgeSite(EdgeSite):
    """The edge's Site (limits, twisted_host.edge) whose access log (Twisted's
    combined format) goes to a stream, or off, and whose requests report to the
    root's `Stats` when it has one."""

    def __init__(
        self, root: Resource, settings: Settings, access_log: TextIO | None
    ) -> None:
        super().__init__(root, settings)
        self.access_log = access_log
        self._lines: list[str] = []  # written out by flush_log, once a second
        self.stats: Stats | None = root.stats if isinstance(root, Index) else None
        if self.stats is not None:
            self.requestFactory = MeasuredRequest

    def log(self, request: Request) -> None:
        if self.access_log is not None:
            self._lines.append(combined_line(self._logDateTime, request))

    def flush_log(self) -> None:
        """Write the lines logged since the last call, in one write."""
        if self.access_log is not None and self._lines:
            lines, self._lines = self._lines, []
            self.access_log.write("\n".join(lines) + "\n")
            self.access_log.flush()


def create_root(
    settings: Settings,
    reactor: IReactorCore,
    asgi: Resource | None = None,
    uvicorn_port: int | None = None,
) -> Resource:
    wsgi_mount = WSGIMount(
        reactor, create_wsgi_app(settings), settings.wsgi_threads, settings.wsgi_queue
    )
    asgi_tasks = getattr(asgi, "tasks", None)  # an ASGIResource's app calls in flight
    stats = Stats(reactor, wsgi_mount.pool, asgi_tasks)
    root = Index(uvicorn_port, stats)
    root.putChild(b"", root)
    root.putChild(b"native", create_resource(settings))
    root.putChild(b"wsgi", wsgi_mount)
    if asgi is not None:
        root.putChild(b"asgi", asgi)
    root.putChild(b"stats", StatsResource(stats))
    root.putChild(b"compare", CompareIndex(uvicorn_port))
    return root
