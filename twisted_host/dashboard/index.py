"""The dashboard `/` and its figures as JSON, `/stats`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from twisted.web.server import Request

from core.contract import FEATURES
from core.mounts import UVICORN, UVICORN_LABEL, UVICORN_PREFIX
from twisted_host.dashboard.stats import SITE, Stats
from twisted_host.dashboard.templating import render, uvicorn_base
from twisted_host.hosting import App
from twisted_host.native.errors import Page, html


@dataclass(frozen=True)
class _Link:
    name: str
    prefix: str
    base: str  # what links start with: the prefix, or an absolute URL for uvicorn
    label: str  # what serves it


class Index(Page):
    """The dashboard: every feature on every mount as links, and the live figures
    (rendered into the page, so it reads without JavaScript; a script refreshes them
    from `/stats` every second)."""

    def __init__(
        self, uvicorn_port: int | None, stats: Stats, apps: Sequence[App]
    ) -> None:
        super().__init__()
        self.uvicorn_port = uvicorn_port
        self.stats = stats
        self.apps = apps

    def render_GET(self, request: Request) -> bytes:
        # The chapter's features are links to the demo mounts; a user's apps get a
        # line each with their figures.
        links = [_link(app) for app in self.apps if app.demo]
        yours = [_link(app) for app in self.apps if not app.demo]
        base = uvicorn_base(request, self.uvicorn_port)
        if links and base is not None:
            label = f"{UVICORN_LABEL}, port {self.uvicorn_port}"
            links.append(_Link(UVICORN, UVICORN_PREFIX, base, label))
        page = render(
            "index.html",
            features=FEATURES,
            mounts=links,
            yours=yours,
            uvicorn_url=base is not None,
            stats=self.stats.snapshot(),
            stat_mounts=(*(a.mount.name for a in self.apps), SITE),
        )
        return html(request, page)


def _link(app: App) -> _Link:
    mount = app.mount
    return _Link(mount.name, mount.prefix, mount.prefix, mount.label)


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
