"""Where the mounts become one Site: a resource for each app of the list it is given
(`twisted_host.hosting`: the registry's demo mounts, a user's apps, or both), hosted
as its interface needs (a native tree or a Klein app's resource as they are, a WSGI
pool of its own, the ASGI bridge), the
dashboard beside them, and the edge (`twisted_host.http`) around them all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.web.resource import IResource, Resource
from twisted.web.server import Request

from core.mounts import MOUNTS, Interface
from core.settings import Settings
from twisted_host.bridges.asgi import ASGIResource
from twisted_host.bridges.wsgi import WSGIMount
from twisted_host.dashboard.compare import CompareIndex
from twisted_host.dashboard.index import Index, StatsResource
from twisted_host.dashboard.live import live_figures
from twisted_host.dashboard.metrics import Metrics, MetricsResource
from twisted_host.dashboard.race.page import RacePage
from twisted_host.dashboard.race.race import Races
from twisted_host.dashboard.stats import Stats
from twisted_host.hosting import App, check, demo_apps
from twisted_host.http.access_log_file import AccessLogFile
from twisted_host.http.health import Healthz, Readiness, Readyz
from twisted_host.http.site import TwistbridgeSite
from twisted_host.http.websocket import WebSocketLimits
from twisted_host.native.errors import NotFound, Page


@dataclass(frozen=True)
class Hosted:
    """The Site and the parts of it that `run` starts, stops and reports on."""

    site: TwistbridgeSite
    asgi: list[ASGIResource]  # one bridge per ASGI app, in the order of the apps
    wsgi: list[WSGIMount]  # one pool per WSGI app
    stats: Stats
    readiness: Readiness


def build_site(
    settings: Settings,
    reactor: AsyncioSelectorReactor,
    *,
    apps: Sequence[App] | None = None,
    uvicorn_port: int | None = None,
    uvicorn_state: Callable[[], dict[str, Any] | None] | None = None,
    access_log: TextIO | None = None,
) -> Hosted:
    """The Site of `twistbridge serve`: every app (default: the demo's mounts), `/`,
    `/stats`, `/live`, `/compare/`, `/metrics`, `/healthz`, `/readyz`, and `/race`
    while the demo's mounts are served.
    ValueError when two apps' prefixes collide."""
    apps = demo_apps(settings) if apps is None else list(apps)
    check(apps)
    bridges: list[ASGIResource] = []
    pools: list[WSGIMount] = []
    resources: list[IResource] = []
    for app in apps:
        resource: IResource = app.target
        if app.mount.interface is Interface.WSGI:
            resource = WSGIMount(
                reactor, app.target, settings.wsgi_threads, settings.wsgi_queue
            )
            pools.append(resource)
        elif app.mount.interface is Interface.ASGI:
            resource = ASGIResource(
                app.target,
                request_timeout=settings.asgi_timeout,
                ws_limits=WebSocketLimits.of(settings),
                reactor=reactor,
            )
            bridges.append(resource)
        resources.append(resource)
    stats = Stats(
        reactor,
        [pool.pool for pool in pools],
        [bridge.tasks for bridge in bridges],
        mounts=[app.mount.name for app in apps],
    )
    stats.uvicorn = uvicorn_state
    root = Index(uvicorn_port, stats, apps)
    root.putChild(b"", root)
    for app, resource in zip(apps, resources, strict=True):
        _place(root, app.mount.name.split("/"), resource)
    root.putChild(b"stats", StatsResource(stats))
    root.putChild(b"compare", CompareIndex(uvicorn_port))
    if set(MOUNTS) <= {app.mount for app in apps}:  # /race runs the demo's features
        races = Races(reactor, stats, settings.wsgi_threads)
        root.putChild(b"race", RacePage(settings, races, uvicorn_port))
    root.putChild(b"live", live_figures(stats.snapshot))
    metrics = Metrics(stats, reactor)
    if metrics.path is not None:  # one of several workers: /stats shows them all
        stats.workers = metrics.workers
    root.putChild(b"metrics", MetricsResource(metrics))
    readiness = Readiness()
    root.putChild(b"healthz", Healthz())
    root.putChild(b"readyz", Readyz(readiness))
    log = AccessLogFile(access_log) if access_log is not None else None
    stats.access_log = log
    site = TwistbridgeSite(root, settings, access_log=log, observer=stats)
    for app, resource in zip(apps, resources, strict=True):
        if settings.direct_lane and isinstance(resource, ASGIResource | WSGIMount):
            site.lanes.add(app.mount.prefix, resource)
    stats.connections = site.connections
    return Hosted(site, bridges, pools, stats, readiness)


def _place(parent: Resource, segments: list[str], resource: IResource) -> None:
    # A prefix of several segments ("/api/v1") hangs under plain pages that answer
    # the contract's 404 for every other child.
    *above, last = (segment.encode() for segment in segments)
    for segment in above:
        child = parent.children.get(segment)
        if child is None:
            child = _Between()
            parent.putChild(segment, child)
        parent = child
    parent.putChild(last, resource)


class _Between(Page):
    """A segment above a mount ("/api" of "/api/v1"): nothing of its own, 404."""

    def render(self, request: Request) -> bytes:
        return NotFound().render(request)
