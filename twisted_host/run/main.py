"""`run(...)`: the main job behind `twistbridge serve`, typed so that tests and other
programs can call it without the CLI; `start` for what it does before the reactor
runs (the `twistd` plugin's service); `start_site` for one process serving the Site
(the whole server, or one worker of `--workers N`), which `serving.serve` runs;
`listen_forever` for the raw listeners."""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.interfaces import (
    IListeningPort,
    IProtocolFactory,
    IStreamServerEndpoint,
)
from twisted.internet.task import LoopingCall

from core.settings import Settings
from twisted_host.run import metrics_dir
from twisted_host.run.process import Listener, hold_signals, tcp_description
from twisted_host.run.reactor import install_asyncio_reactor
from twisted_host.run.restart import (
    SITE,
    UVICORN,
    InheritedEndpoint,
    exec_again,
    inherited,
)
from twisted_host.run.serving import Serving, serve, startup_error
from twisted_host.run.tls import TLSFiles, certificate_options, wrap
from twisted_host.run.uvicorn import UvicornChild
from twisted_host.run.uvicorn_keeper import UvicornKeeper, read_state

if TYPE_CHECKING:
    from twisted.internet.ssl import CertificateOptions

    from twisted_host.hosting import App
    from twisted_host.http.shutdown import GracefulShutdown
    from twisted_host.site import Hosted


def run(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    endpoint: str | None = None,
    uvicorn_port: int = 8001,
    access_log: TextIO | None = sys.stdout,
    apps: Sequence[App] = (),
    demo: bool = True,
    tls: TLSFiles | None = None,
    workers: int = 1,
) -> int:
    """Serve `apps` (`twisted_host.hosting`), beside the demo's four mounts unless
    `demo` is False, until SIGINT or SIGTERM; return the process's exit status.
    uvicorn serves the demo's ASGI app beside it: with no demo, none runs. With
    `tls`, the Site (and uvicorn) serve HTTPS only, the Site HTTP/2 as well. With
    more than one worker, a supervisor runs them (`twisted_host.run.supervisor`).
    Logging is set up first, as `settings.log_level` and `log_config` say
    (LogConfigError for a configuration that cannot be read)."""
    from twisted_host.run.logging_setup import configure

    hold_signals()

    configure(settings.log_level, settings.log_config)
    # --limit-max-requests recycles a worker: with no --workers, one worker under the
    # supervisor, which keeps the port open while the next one starts (uvicorn's
    # process exits instead). Apps given as objects, or an endpoint, cannot cross
    # into a worker: that process stops gracefully after its requests, as uvicorn's.
    recycled = bool(settings.limit_max_requests) and not apps and not endpoint
    if workers > 1 or recycled or settings.reload:
        if apps or endpoint:
            # Objects do not cross into processes: each worker imports the apps
            # `settings` names (wsgi_apps, asgi_apps) and listens on --host/--port.
            raise ValueError(
                "with workers, name apps in settings.wsgi_apps/asgi_apps (import "
                "strings), and serve --host/--port rather than an endpoint"
            )
        from twisted_host.run.supervisor import supervise

        return supervise(
            settings,
            workers,
            host=host,
            port=port,
            uvicorn_port=uvicorn_port if settings.demo else 0,
            access_log=access_log,
            tls=tls,
        )
    reactor = install_asyncio_reactor()
    serving = start(
        reactor,
        settings,
        host=host,
        port=port,
        endpoint=endpoint,
        uvicorn_port=uvicorn_port,
        access_log=access_log,
        apps=apps,
        demo=demo,
        tls=tls,
    )
    status = serve(reactor, serving, restart=True)
    if serving.shutdown.restarting:
        exec_again(serving.sockets())
    return status


def start(
    reactor: AsyncioSelectorReactor,
    settings: Settings,
    *,
    host: str,
    port: int,
    endpoint: str | None,
    uvicorn_port: int,
    access_log: TextIO | None,
    apps: Sequence[App],
    demo: bool,
    tls: TLSFiles | None,
) -> Serving:
    """What `run` does before the reactor runs (one process): uvicorn started, the
    Site built, its port opened once the reactor runs (the sockets a restart handed
    down, if it did). `twistd twistbridge` calls it from its service, and twistd runs
    the reactor."""
    from twisted_host.hosting import demo_apps
    from twisted_host.http.h2 import ALPN

    options = certificate_options(tls, ALPN) if tls is not None else None
    sockets = inherited()
    uvicorn = _start_uvicorn(
        reactor, settings, host, uvicorn_port if demo else 0, tls, sockets.get(UVICORN)
    )
    if uvicorn is not None:
        settings = uvicorn.child.upstream_for(settings)
    scheme = "https" if options is not None else "http"
    description = endpoint or tcp_description(host, port)
    listener = Listener(reactor, "twistbridge", description, scheme)
    admin = (
        _server_endpoint(reactor, settings.admin_host, settings.admin_port, None)
        if settings.admin_port is not None
        else None
    )
    server_endpoint = (
        InheritedEndpoint(reactor, sockets[SITE])
        if SITE in sockets
        else _server_endpoint(reactor, host, port, endpoint, settings.backlog)
    )
    return start_site(
        reactor,
        settings,
        server_endpoint,
        listener,
        apps=[*demo_apps(settings), *apps] if demo else list(apps),
        uvicorn=uvicorn,
        access_log=access_log,
        tls_options=options,
        admin_endpoint=admin,
    )


def start_site(
    reactor: AsyncioSelectorReactor,
    settings: Settings,
    server_endpoint: IStreamServerEndpoint,
    listener: Listener,
    *,
    apps: Sequence[App] | None = None,
    uvicorn: UvicornKeeper | None = None,
    uvicorn_port: int | None = None,
    access_log: TextIO | None = None,
    tls_options: CertificateOptions | None = None,
    admin_endpoint: IStreamServerEndpoint | None = None,
    on_max_requests: Callable[[], None] | None = None,
) -> Serving:
    """Build the Site (`apps`, default the demo's) and open its port once the reactor
    runs and every ASGI lifespan has started; `uvicorn` is the child this process
    stops, `uvicorn_port` one another process runs (the dashboard links to either);
    `admin_endpoint` where the admin Site listens (`settings.admin_port`);
    `on_max_requests` what a worker does past `--limit-max-requests` (default: stop
    gracefully). `serve` then runs the reactor until a graceful stop."""
    from twisted_host.http.h2 import HTTP2Factory
    from twisted_host.site import build_site

    folder = metrics_dir.current()
    hosted = build_site(
        settings,
        reactor,
        apps=apps,
        uvicorn_port=uvicorn.child.port if uvicorn else uvicorn_port,
        # This process's child, or the supervisor's (it writes the state to a file).
        uvicorn_state=(
            uvicorn.state
            if uvicorn is not None
            else read_state(folder)
            if uvicorn_port and folder
            else None
        ),
        access_log=access_log,
    )
    shutdown = _graceful_shutdown(reactor, settings, hosted, uvicorn)
    if settings.limit_max_requests:
        site = hosted.site
        jitter = random.randint(0, settings.limit_max_requests_jitter)
        site.max_requests = settings.limit_max_requests + jitter
        site.on_max_requests = partial(
            _recycle, on_max_requests or shutdown.begin, site.max_requests
        )
    if hosted.site.access_log is not None:
        _flush_access_log(reactor, hosted.site.access_log.flush)
    # Over TLS, a connection may switch to HTTP/2 (ALPN); plain HTTP stays HTTP/1.1.
    factory: IProtocolFactory = (
        wrap(HTTP2Factory(hosted.site), tls_options)
        if tls_options is not None
        else hosted.site
    )
    suffix = f" ; uvicorn {uvicorn.child.url}" if uvicorn else ""
    admin = (
        (admin_endpoint, hosted.admin)
        if admin_endpoint is not None and hosted.admin is not None
        else None
    )
    open_port = _opener(
        hosted, server_endpoint, factory, shutdown, listener, suffix, admin
    )
    reactor.callWhenRunning(open_port)
    return Serving(hosted, listener, shutdown, uvicorn)


def _start_uvicorn(
    reactor: AsyncioSelectorReactor,
    settings: Settings,
    host: str,
    port: int,
    tls: TLSFiles | None,
    fd: int | None,
) -> UvicornKeeper | None:
    if not port:
        return None
    child = UvicornChild.start(settings, host, port, tls, fd)
    reactor.addSystemEventTrigger("before", "shutdown", child.stop)
    return UvicornKeeper(reactor, child)


def _graceful_shutdown(
    reactor: AsyncioSelectorReactor,
    settings: Settings,
    hosted: Hosted,
    uvicorn: UvicornKeeper | None,
) -> GracefulShutdown:
    from twisted_host.http.shutdown import GracefulShutdown

    shutdown = GracefulShutdown(
        reactor,
        hosted.site,
        settings.shutdown_grace,
        on_begin=uvicorn.child.terminate if uvicorn is not None else None,
        readiness=hosted.readiness,
        drain_delay=settings.drain_delay,
    )
    reactor.callWhenRunning(shutdown.install)
    return shutdown


def _recycle(then: Callable[[], None], count: int) -> None:
    print(
        f"twistbridge: {count} requests served (--limit-max-requests) "
        f"by pid {os.getpid()}: recycling",
        file=sys.stderr,
        flush=True,
    )
    then()


def _flush_access_log(
    reactor: AsyncioSelectorReactor, flush: Callable[[], None]
) -> None:
    # One write a second: no system call, nor stream call, per request.
    LoopingCall(flush).start(1.0, now=False)
    # After the requests still in flight at SIGTERM have been answered, too.
    reactor.addSystemEventTrigger("after", "shutdown", flush)


def _opener(
    hosted: Hosted,
    server_endpoint: IStreamServerEndpoint,
    factory: IProtocolFactory,
    shutdown: GracefulShutdown,
    listener: Listener,
    suffix: str,
    admin: tuple[IStreamServerEndpoint, IProtocolFactory] | None,
) -> Callable[[], None]:
    """What opens the port once every ASGI app's lifespan startup is over (and the
    admin port first: its /readyz says "starting" until then)."""
    from twisted.internet.defer import Deferred, gatherResults, succeed

    from twisted_host.run.process import url_of

    admin_url: list[str] = []

    def listen(_: object) -> object:
        if startup_error(hosted) is not None:
            return None  # a bridge has stopped the reactor and logged why
        return server_endpoint.listen(factory)

    def listening(port_: IListeningPort | None) -> None:
        if port_ is not None:
            shutdown.port = port_
            hosted.readiness.started = True
            listener.ready(port_, suffix + "".join(admin_url))

    def admin_listening(port_: IListeningPort | None) -> None:
        if port_ is not None:
            admin_url.append(f" ; admin {url_of(port_)}")

    def open_port() -> None:
        opened: Deferred[Any] = (
            admin[0].listen(admin[1]) if admin is not None else succeed(None)
        )
        opened.addCallback(admin_listening)
        waits: list[Deferred[Any]] = [opened, *(b.started for b in hosted.asgi)]
        started = gatherResults(waits)
        started.addCallback(listen).addCallbacks(listening, listener.failed)

    return open_port


def _server_endpoint(
    reactor: AsyncioSelectorReactor,
    host: str,
    port: int,
    endpoint: str | None,
    backlog: int = 4096,
) -> IStreamServerEndpoint:
    from twisted.internet.endpoints import serverFromString

    from twisted_host.http.transport import SoonTCPEndpoint

    # --host/--port get the fast TCP transport; an endpoint string gets Twisted's own.
    if endpoint:
        parsed: IStreamServerEndpoint = serverFromString(reactor, endpoint)
        return parsed
    return SoonTCPEndpoint(reactor, port, host, backlog)


def listen_forever(factory: IProtocolFactory, host: str, port: int, name: str) -> int:
    """Serve one factory on host:port until SIGINT or SIGTERM (the raw listeners)."""
    reactor = install_asyncio_reactor()
    from twisted.internet.endpoints import serverFromString

    description = tcp_description(host, port)
    listener = Listener(reactor, name, description)

    def start() -> None:
        d = serverFromString(reactor, description).listen(factory)
        d.addCallbacks(listener.ready, listener.failed)

    reactor.callWhenRunning(start)
    reactor.run()
    return listener.status
