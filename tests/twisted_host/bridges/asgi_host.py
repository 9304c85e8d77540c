"""Serves one app of `asgi_apps` under /bridge, on the bridge or on uvicorn:

    python -m tests.twisted_host.bridges.asgi_host bridge|edge|uvicorn APP [late]

(`edge`: the bridge under twistbridge's own Site, whose edge streams request bodies
and enforces its limits, the body limit raised to 64 MiB, the idle timeout 2 s,
with the parser `EDGE_HTTP` names in the environment, else the default, the mount
on the Site's direct lane as `twistbridge serve` puts it (httptools: the direct
lane; twisted: the resource lane);
`late`: the bridge is made once the reactor runs, as a plugin would) and prints
`... ready: http://127.0.0.1:PORT/` once it takes requests. With
`ASGI_HOST_TLS=CERT:KEY:PASSWORD` in the environment it serves HTTPS (`https://...`)
with that certificate."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

TLS = os.environ.get("ASGI_HOST_TLS", "")
SCHEME = "https" if TLS else "http"
CERT, KEY, PASSWORD = TLS.split(":") if TLS else ("", "", "")


def serve_bridge(name: str, late: bool = False, edge: bool = False) -> int:
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.server import Site

    from core.settings import Settings
    from tests.twisted_host.bridges.asgi_apps import app_named
    from twisted_host.bridges.asgi import ASGIRequest, ASGIResource
    from twisted_host.http.site import TwistbridgeSite

    made: list[ASGIResource] = []

    def mount() -> None:
        bridge = ASGIResource(app_named(name), disconnect_grace=1.0)
        made.append(bridge)
        root = Resource()
        root.putChild(b"bridge", bridge)

        def listen(_: object) -> None:
            if bridge.startup_error is None:
                site: Site = Site(root, requestFactory=ASGIRequest)
                if edge:
                    settings = Settings(
                        max_body_size=64 * 1024 * 1024,
                        idle_timeout=2,
                        http=os.environ.get("EDGE_HTTP", Settings.http),
                    )
                    site = edge_site = TwistbridgeSite(root, settings)
                    edge_site.lanes.add("/bridge", bridge)
                if TLS:
                    from twisted_host.run.tls import TLSFiles, certificate_options

                    files = TLSFiles(Path(CERT), Path(KEY), PASSWORD)
                    options = certificate_options(files)
                    port = reactor.listenSSL(0, site, options, interface="127.0.0.1")
                else:
                    port = reactor.listenTCP(0, site, interface="127.0.0.1")
                number = port.getHost().port
                print(f"bridge ready: {SCHEME}://127.0.0.1:{number}/", flush=True)

        bridge.started.addCallback(listen)

    if late:
        reactor.callWhenRunning(reactor.callLater, 0.1, mount)
    else:
        mount()
    reactor.run()
    return 1 if made and made[0].startup_error else 0


def serve_uvicorn(name: str) -> int:
    import uvicorn

    from tests.twisted_host.bridges.asgi_apps import app_named, mounted

    config = uvicorn.Config(
        mounted("/bridge", app_named(name)),
        port=0,
        lifespan="auto",
        log_level="warning",
        # The reference for the bridge's WebSockets: wsproto, with the same limit.
        ws="wsproto",
        ws_max_size=1024 * 1024,
        # Stopped at a module's end: after the FastAPI chat tests it waited for a
        # connection's task until the tests' SIGKILL, 15 s later.
        timeout_graceful_shutdown=2,
        ssl_certfile=CERT or None,
        ssl_keyfile=KEY or None,
        ssl_keyfile_password=PASSWORD or None,
    )
    server = uvicorn.Server(config)

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        print(f"uvicorn ready: {SCHEME}://127.0.0.1:{port}/", flush=True)

    async def main() -> None:
        watcher = asyncio.ensure_future(announce())
        await server.serve()
        await watcher

    asyncio.run(main())
    return 0 if server.started else 3


if __name__ == "__main__":
    kind, name = sys.argv[1:3]
    late = sys.argv[3:] == ["late"]
    if kind == "uvicorn":
        sys.exit(serve_uvicorn(name))
    sys.exit(serve_bridge(name, late, edge=kind == "edge"))
