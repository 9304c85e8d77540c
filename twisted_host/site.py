"""Where the mounts become one Site: a resource for each mount of the registry
(`core.mounts`), hosted as its interface needs (native tree, WSGI pool, ASGI bridge),
the dashboard beside them, and the edge (`twisted_host.http`) around them all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.web.resource import IResource

from asgi_app import create_app as create_asgi_app
from core.mounts import MOUNTS, Interface, Mount
from core.settings import Settings
from twisted_host.bridges.asgi import ASGIResource
from twisted_host.bridges.wsgi import WSGIMount
from twisted_host.dashboard.compare import CompareIndex
from twisted_host.dashboard.index import Index, StatsResource
from twisted_host.dashboard.metrics import Metrics, MetricsResource
from twisted_host.dashboard.stats import Stats
from twisted_host.http.health import Healthz, Readiness, Readyz
from twisted_host.http.site import TwistbridgeSite
from twisted_host.native import create_resource
from wsgi_app import create_app as create_wsgi_app


@dataclass(frozen=True)
class Hosted:
    """The Site and the parts of it that `run` starts, stops and reports on."""

    site: TwistbridgeSite
    asgi: ASGIResource
    wsgi: WSGIMount
    stats: Stats
    readiness: Readiness


def build_site(
    settings: Settings,
    reactor: AsyncioSelectorReactor,
    *,
    uvicorn_port: int | None = None,
    access_log: TextIO | None = None,
) -> Hosted:
    """The Site of `twistbridge serve`: every mount, `/`, `/stats`, `/compare/`,
    `/metrics`, `/healthz`, `/readyz`."""
    wsgi = WSGIMount(
        reactor, create_wsgi_app(settings), settings.wsgi_threads, settings.wsgi_queue
    )
    asgi = ASGIResource(
        create_asgi_app(settings),
        request_timeout=settings.asgi_timeout,
        reactor=reactor,
    )
    hosts: dict[Interface, IResource] = {
        Interface.NATIVE: create_resource(settings),
        Interface.WSGI: wsgi,
        Interface.ASGI: asgi,
    }
    stats = Stats(reactor, wsgi.pool, asgi.tasks)
    root = Index(uvicorn_port, stats)
    root.putChild(b"", root)
    for mount in MOUNTS:
        root.putChild(_segment(mount), hosts[mount.interface])
    root.putChild(b"stats", StatsResource(stats))
    root.putChild(b"compare", CompareIndex(uvicorn_port))
    metrics = Metrics(stats, reactor)
    if metrics.path is not None:  # one of several workers: /stats shows them all
        stats.workers = metrics.workers
    root.putChild(b"metrics", MetricsResource(metrics))
    readiness = Readiness()
    root.putChild(b"healthz", Healthz())
    root.putChild(b"readyz", Readyz(readiness))
    site = TwistbridgeSite(root, settings, access_log=access_log, observer=stats)
    return Hosted(site, asgi, wsgi, stats, readiness)


def _segment(mount: Mount) -> bytes:
    return mount.prefix.lstrip("/").encode()
