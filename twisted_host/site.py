"""Where the mounts become one Site: a resource for each app of the list it is given
(`twisted_host.hosting`: the registry's demo mounts, a user's apps, or both), hosted
as its interface needs (a native tree or a Klein app's resource as they are, a WSGI
pool of its own, the ASGI bridge), each at its prefix of the root (`routing`), the
dashboard and the ops endpoints beside them or on an admin Site, and the edge
(`twisted_host.http`) around them all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.web.resource import IResource

from core.mounts import MOUNTS, OPS_PAGES, Interface, segments_of
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
from twisted_host.dashboard.templating import place
from twisted_host.hosting import App, check, demo_apps
from twisted_host.http.access_log_file import AccessLogFile
from twisted_host.http.health import Healthz, Readiness, Readyz
from twisted_host.http.site import TwistbridgeSite
from twisted_host.http.websocket import WebSocketLimits
from twisted_host.routing import Router


@dataclass(frozen=True)
class Hosted:
    """The Site and the parts of it that `run` starts, stops and reports on."""

    site: TwistbridgeSite
    asgi: list[ASGIResource]  # one bridge per ASGI app, in the order of the apps
    wsgi: list[WSGIMount]  # one pool per WSGI app
    stats: Stats
    readiness: Readiness
    # The admin listener's Site (`--admin-port`): the dashboard and the ops endpoints,
    # which then leave the public Site to the apps.
    admin: TwistbridgeSite | None = None


def build_site(
    settings: Settings,
    reactor: AsyncioSelectorReactor,
    *,
    apps: Sequence[App] | None = None,
    uvicorn_port: int | None = None,
    uvicorn_state: Callable[[], dict[str, Any] | None] | None = None,
    access_log: TextIO | None = None,
) -> Hosted:
    """The Site of `twistbridge serve`: every app (default: the demo's mounts), the
    dashboard (`/`, `/stats`, `/live`, `/compare/`, and `/race` while the demo's
    mounts are served) at `settings.dashboard`, `/metrics`, `/healthz`, `/readyz` at
    `settings.ops_prefix`; both on an admin Site of their own with `admin_port`.
    ValueError when two of them take one prefix."""
    apps = demo_apps(settings) if apps is None else list(apps)
    check(apps)
    bridges: list[ASGIResource] = []
    pools: list[WSGIMount] = []
    root = Router()
    for app in apps:
        resource: IResource = app.target
        if app.mount.interface is Interface.WSGI:
            resource = WSGIMount(
                reactor,
                app.target,
                settings.wsgi_threads,
                settings.wsgi_queue,
                root_path=settings.root_path,
            )
            pools.append(resource)
        elif app.mount.interface is Interface.ASGI:
            resource = ASGIResource(
                app.target,
                request_timeout=settings.asgi_timeout,
                ws_limits=WebSocketLimits.of(settings),
                reactor=reactor,
                root_path=settings.root_path,
            )
            bridges.append(resource)
        root.route(segments_of(app.mount.prefix), resource)
    stats = Stats(
        reactor,
        [pool.pool for pool in pools],
        [bridge.tasks for bridge in bridges],
        mounts=[app.mount.name for app in apps],
    )
    stats.uvicorn = uvicorn_state
    admin = Router() if settings.admin_port is not None else root
    readiness = Readiness()
    metrics = Metrics(stats, reactor)
    if metrics.path is not None:  # one of several workers: /stats shows them all
        stats.workers = metrics.workers
    ops = segments_of(settings.ops_prefix)
    endpoints = (MetricsResource(metrics), Healthz(), Readyz(readiness))
    for page, endpoint in zip(OPS_PAGES, endpoints, strict=True):
        admin.route([*ops, page], endpoint)
    if settings.dashboard is not None:
        place(settings.dashboard, settings.ops_prefix)
        _dashboard(admin, settings, reactor, stats, apps, uvicorn_port)
    log = AccessLogFile(access_log) if access_log is not None else None
    stats.access_log = log
    site = TwistbridgeSite(root, settings, access_log=log, observer=stats)
    if settings.direct_lane:  # every prefix: a bridge's on the direct lane, or none
        for key, resource in root.table.items():
            if isinstance(resource, ASGIResource | WSGIMount):
                site.lanes.add_segments(key, resource)
            else:
                site.lanes.add_segments(key, None)
    stats.connections = site.connections
    if admin is root:  # what the apps' prefixes do not name is the Site's own
        mine = {tuple(s.encode() for s in segments_of(a.mount.prefix)) for a in apps}
        stats.own_pages = tuple(
            b"/" + b"/".join(key) for key in root.table if key not in mine
        )
    # Probes and scrapes stay out of the access log and of the apps' figures.
    own = TwistbridgeSite(admin, settings) if admin is not root else None
    return Hosted(site, bridges, pools, stats, readiness, own)


def _dashboard(
    root: Router,
    settings: Settings,
    reactor: AsyncioSelectorReactor,
    stats: Stats,
    apps: Sequence[App],
    uvicorn_port: int | None,
) -> None:
    at = segments_of(settings.dashboard or "/")
    index = Index(uvicorn_port, stats, apps)
    if at:
        root.route(at, index)  # "/dash" as well as "/dash/"
    root.route([*at, ""], index)
    root.route([*at, "stats"], StatsResource(stats))
    root.route([*at, "compare"], CompareIndex(uvicorn_port))
    if set(MOUNTS) <= {app.mount for app in apps}:  # /race runs the demo's features
        races = Races(reactor, stats, settings.wsgi_threads)
        root.route([*at, "race"], RacePage(settings, races, uvicorn_port))
    root.route([*at, "live"], live_figures(stats.snapshot))
