"""The settings every mount and the CLI share, with the defaults the README documents."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.busy import DEFAULT_SECONDS, MAX_SECONDS

SAMPLE = Path(__file__).resolve().parent / "sample"


def _default_children() -> dict[str, Path]:
    # The book's example 4-4 mounts /usr/share/doc and a log folder under the web root;
    # the shipped sample has a folder for each, outside the root.
    return {"doc": SAMPLE / "doc", "logs": SAMPLE / "logs"}


@dataclass(frozen=True)
class Settings:
    static_root: Path = SAMPLE / "www"
    static_children: dict[str, Path] = field(default_factory=_default_children)
    busy_default: float = DEFAULT_SECONDS
    busy_max: float = MAX_SECONDS
    wsgi_threads: int = 10  # the size of Twisted's own reactor pool
    # Requests waiting for a WSGI thread before new ones get 503 (gunicorn's backlog
    # is the kernel's; a bounded queue answers instead of piling up).
    wsgi_queue: int = 200
    # The HTTP edge, every mount alike; README compares each with nginx and uvicorn.
    max_body_size: int = 1024 * 1024  # nginx's client_max_body_size default, 1 MiB
    max_request_line: int = 8192  # nginx's large_client_header_buffers line size
    max_header_bytes: int = 32768  # nginx: 4 buffers of 8 KiB
    max_headers: int = 100  # gunicorn's limit_request_fields
    max_form_fields: int = 1000  # Werkzeug's MAX_FORM_PARTS
    max_form_memory: int = 500_000  # Werkzeug's MAX_FORM_MEMORY_SIZE
    # An XML-RPC call is parsed whole into Python values, several times its size:
    # bounded well below the body limit (the stdlib's server has no limit).
    xmlrpc_max_body: int = 256 * 1024
    header_timeout: float = 10.0  # seconds to send a request's headers (slowloris)
    idle_timeout: float = 15.0  # seconds a keep-alive connection may sit idle
    max_connections: int = 16384  # open connections before new ones get 503
    shutdown_grace: float = 10.0  # seconds in-flight requests get on SIGTERM
    asgi_timeout: float = 0.0  # seconds an ASGI request may run before 504; 0: none
    # /race fires bursts from the server itself: bounded, so that a page cannot be
    # turned into a load generator against the process it runs in.
    race_max_requests: int = 50  # requests in one race's burst, per mount
    race_max_seconds: float = 5.0  # the largest `seconds` a race may ask the pages for
    race: bool = True  # /race/start takes races (`--no-race`: 403, none run)
    # Behind a proxy: the client's address and scheme from X-Forwarded-For/-Proto (or
    # Forwarded), believed only from these peers (uvicorn's defaults and names).
    proxy_headers: bool = True
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # Bytes of one WebSocket message, every mount alike, before a close with 1009
    # (uvicorn's --ws-max-size, whose default is 16 MiB).
    ws_max_size: int = 1024 * 1024
    # Seconds between WebSocket keep-alive pings, and for each pong (uvicorn's
    # --ws-ping-interval and --ws-ping-timeout, with their defaults); 0: none.
    ws_ping_interval: float = 20.0
    ws_ping_timeout: float = 20.0
    # Offer permessage-deflate (RFC 7692) on every WebSocket (uvicorn's
    # --ws-per-message-deflate, on by default); ws_max_size bounds the inflated size.
    ws_per_message_deflate: bool = True
    # The WSGI app wrapped in the stdlib's PEP 3333 checker (wsgiref.validate), which
    # fails any request the server or the app gets wrong: for the contract suite.
    wsgi_validate: bool = False
    # Seconds /readyz says 503 on SIGTERM while the port still serves, so that a
    # balancer polling it stops sending first (gunicorn and uvicorn: none).
    drain_delay: float = 0.0
    # The HTTP/1.1 parser: "httptools" (llhttp, in C, as uvicorn's) or "twisted"
    # (Twisted's own, in Python), kept to compare what the C parser buys. Both
    # stream request bodies to the bridges and enforce the same limits.
    http: str = "httptools"
    # The bridges' requests on the direct lane under the httptools parser (no
    # twisted.web Request; docs/LANES.md); off: every request on the resource lane,
    # to measure what the Request costs. Say which lane served each request: an
    # X-Twistbridge-Lane response header and a lane= field in the access log.
    direct_lane: bool = True
    show_lane: bool = False
    # `M/proxy/<path>` forwards to this URL (`--proxy-upstream`); "" is uvicorn's /asgi
    # beside the Site, filled in once its port is known. Seconds to connect and then
    # between any two reads of the answer before 504 (nginx's proxy_read_timeout, 60).
    upstream: str = ""
    upstream_timeout: float = 30.0
    # A PEM file of certificates an https upstream may be trusted by, beside the
    # system's (`--proxy-ca`); with --ssl-certfile, the default upstream's (uvicorn
    # beside, serving the same certificate) is the served chain.
    upstream_ca: str | None = None
    # Idle connections each mount keeps open to the upstream for the next requests
    # (nginx's `keepalive`, which bounds the idle ones too): reused rather than a
    # connection, and over https a handshake, per request. 0: one per request.
    upstream_pool: int = 32

    # Apps of one's own (`serve --wsgi/--asgi PREFIX=MODULE:ATTR`), as import strings,
    # so that every worker of `--workers N` imports them itself; `demo`: the chapter's
    # four mounts (and uvicorn) beside them.
    wsgi_apps: tuple[str, ...] = ()
    asgi_apps: tuple[str, ...] = ()
    resource_apps: tuple[str, ...] = ()  # twisted.web resources (`--resource`)
    app_factory: bool = False
    app_dir: str = "."
    demo: bool = True
    # Where the dashboard's pages (`/`, `/compare/`, `/race`, `/stats`, `/live`) go:
    # a prefix, or None for none (`--dashboard`, `--no-dashboard`); and where
    # `/metrics`, `/healthz`, `/readyz` go (`--ops-prefix`). With `admin_port` both
    # move to a listener of their own, on `admin_host`, and the public port serves
    # the apps alone (0: any free port; None: no admin listener).
    dashboard: str | None = "/"
    ops_prefix: str = "/"
    admin_port: int | None = None
    admin_host: str = "127.0.0.1"
    # Behind a proxy that serves the apps under a path (uvicorn's --root-path): the
    # ASGI `root_path` and the WSGI `SCRIPT_NAME` start with it.
    root_path: str = ""
    # Logging (uvicorn's --log-level, --log-config): the level of every logger, and a
    # logging configuration file (JSON, YAML or INI; "" for none). The access log's
    # lines: "combined" (Apache's) or "json" (one object a line).
    # A worker's life (uvicorn's --limit-*, gunicorn's max_requests): 503 past this
    # many requests in flight (0: no limit); recycled after this many requests, plus
    # up to `limit_max_requests_jitter` more, drawn per worker (0: never). The
    # listen queue of the port (`--backlog`; uvicorn's default is 2048).
    limit_concurrency: int = 0
    limit_max_requests: int = 0
    limit_max_requests_jitter: int = 0
    backlog: int = 4096
    # --reload: the workers replaced when a watched file changes (uvicorn's flags).
    reload: bool = False
    reload_dirs: tuple[str, ...] = ()
    reload_includes: tuple[str, ...] = ()
    reload_excludes: tuple[str, ...] = ()
    log_level: str = "info"
    log_config: str = ""
    access_log_format: str = "combined"

    def to_json(self) -> str:
        """The settings as JSON, to hand them to a child process (uvicorn)."""
        data = asdict(self)
        data["static_root"] = str(self.static_root)
        data["static_children"] = {k: str(v) for k, v in self.static_children.items()}
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """The settings `to_json` wrote; a field left out keeps its default."""
        data = json.loads(text)
        if "static_root" in data:
            data["static_root"] = Path(data["static_root"])
        # JSON has lists; every sequence of the settings is a tuple.
        data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        if "static_children" in data:
            data["static_children"] = {
                k: Path(v) for k, v in data["static_children"].items()
            }
        return cls(**data)
