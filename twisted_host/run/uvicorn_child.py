"""The uvicorn process `twistbridge serve` starts beside the Twisted Site.

It serves the same Starlette app under the same `/asgi` prefix, on a socket the parent
bound and passed down (`python -m twisted_host.run.uvicorn_child FD READY_FD`), and
writes a line to READY_FD once it serves (the parent's `uvicorn_keeper` then knows a
later death is not one at start); the settings come as JSON in `TWISTBRIDGE_SETTINGS`.
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import replace

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from asgi_app import create_app
from core.mounts import UVICORN_PREFIX
from core.settings import Settings
from twisted_host.run.tls import TLSFiles
from twisted_host.run.uvicorn import asgi_url


def main(argv: list[str]) -> None:
    settings = Settings.from_json(os.environ.get("TWISTBRIDGE_SETTINGS", "{}"))
    tls_json = os.environ.get("TWISTBRIDGE_TLS")
    tls = TLSFiles.from_json(tls_json) if tls_json else None
    sock = socket.socket(fileno=int(argv[0]))
    if not settings.upstream:
        # uvicorn's /asgi/proxy forwards to its own /asgi, as the Site's mounts do.
        host, port = sock.getsockname()[:2]
        upstream = asgi_url("https" if tls else "http", host, port)
        ca = settings.upstream_ca or (str(tls.certfile) if tls else None)
        settings = replace(settings, upstream=upstream, upstream_ca=ca)
    app = create_app(settings)
    # An outer app with the prefix, so that client paths match the bridge's: /asgi/...
    outer = Starlette(routes=[Mount(UVICORN_PREFIX, app=app)], lifespan=None)
    config = uvicorn.Config(
        outer,
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
        proxy_headers=settings.proxy_headers,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # The reference for the bridge's WebSockets, both on wsproto, with one limit.
        ws="wsproto",
        ws_max_size=settings.ws_max_size,
        ws_ping_interval=settings.ws_ping_interval or None,
        ws_ping_timeout=settings.ws_ping_timeout or None,
        ws_per_message_deflate=settings.ws_per_message_deflate,
        # The Site's certificate, when it serves HTTPS.
        ssl_certfile=tls.certfile if tls else None,
        ssl_keyfile=tls.keyfile if tls else None,
        ssl_keyfile_password=tls.password if tls else None,
    )
    # As a socket, not `fd=`: uvicorn takes an fd for a Unix socket and would leave
    # TCP_NODELAY off, so every keep-alive answer would wait for a delayed ACK.
    _Server(config, int(argv[1])).run(sockets=[sock])


class _Server(uvicorn.Server):
    """uvicorn's server, saying on a pipe when it serves."""

    def __init__(self, config: uvicorn.Config, ready_fd: int) -> None:
        super().__init__(config)
        self.ready_fd = ready_fd

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:  # not after a failed lifespan startup
            os.write(self.ready_fd, b"ready\n")
        os.close(self.ready_fd)


if __name__ == "__main__":
    main(sys.argv[1:])
