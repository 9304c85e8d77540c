"""The `twistbridge` command: a thin click layer over typed functions."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import click

from core.busy import MAX_SECONDS
from core.settings import Settings
from twisted_host import __version__
from twisted_host.cli_apps import (
    ADMIN_OPTIONS,
    APP_OPTIONS,
    PROXY_OPTIONS,
    UpstreamURL,
)
from twisted_host.cli_config import config_option
from twisted_host.cli_docs import docs
from twisted_host.cli_help import Sectioned, section
from twisted_host.cli_plan import serve_plan
from twisted_host.http.access_log import FORMATS
from twisted_host.run.logging_setup import LEVELS
from twisted_host.run.uvicorn import AUTO_PORT

_defaults = Settings()


class _PortOrAuto(click.ParamType):  # type: ignore[type-arg]
    name = "PORT|auto"

    def convert(self, value: object, param: object, ctx: object) -> int:
        if value == "auto" or value == AUTO_PORT:
            return AUTO_PORT
        try:
            port = int(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a port number or 'auto'")
        if not 0 <= port <= 65535:
            self.fail(f"{port} is not a port number (0 to 65535)")
        return port


# The HTTP edge's limits: flag, Settings field, type, help. Defaults are Settings'.
_LIMITS: list[tuple[str, str, click.ParamType[Any], str]] = [
    ("--wsgi-queue", "wsgi_queue", click.IntRange(0), "Requests that may wait for a WSGI thread; more get 503."),
    ("--max-request-line", "max_request_line", click.IntRange(64), "Longest request line in bytes (longer: 414)."),
    ("--max-header-bytes", "max_header_bytes", click.IntRange(256), "Largest header block in bytes (larger: 431)."),
    ("--max-headers", "max_headers", click.IntRange(1), "Most headers in a request (more: 431)."),
    ("--max-form-fields", "max_form_fields", click.IntRange(1), "Most fields in a posted form (more: 413)."),
    ("--max-form-memory", "max_form_memory", click.IntRange(1), "Largest form field value kept in memory, in bytes (larger: 413)."),
    ("--xmlrpc-max-body", "xmlrpc_max_body", click.IntRange(1), "Largest XML-RPC call in bytes (larger: 413)."),
    ("--header-timeout", "header_timeout", click.FloatRange(0.1), "Seconds a client has to send a request's headers (then: 408)."),
    ("--idle-timeout", "idle_timeout", click.FloatRange(0.1), "Seconds an idle keep-alive connection stays open."),
    ("--max-connections", "max_connections", click.IntRange(1), "Open connections at most (more: 503)."),
    ("--asgi-timeout", "asgi_timeout", click.FloatRange(0), "Seconds an ASGI request may run before 504 (0: no limit)."),
    ("--shutdown-grace", "shutdown_grace", click.FloatRange(0), "Seconds requests in flight get to finish on SIGTERM."),
    ("--race-max-requests", "race_max_requests", click.IntRange(1, 1000), "Most requests per mount in one /race burst (more: 400)."),
    ("--race-max-seconds", "race_max_seconds", click.FloatRange(0, 60), "Largest `seconds` a /race may ask for (more: 400)."),
    ("--ws-max-size", "ws_max_size", click.IntRange(1), "Largest WebSocket message in bytes (larger: close 1009)."),
    ("--ws-ping-interval", "ws_ping_interval", click.FloatRange(0), "Seconds between WebSocket keep-alive pings (0: none)."),
    ("--ws-ping-timeout", "ws_ping_timeout", click.FloatRange(0), "Seconds a WebSocket pong may take (then: close 1011; 0: any)."),
    ("--http", "http", click.Choice(["httptools", "twisted"]), "HTTP/1.1 parser: httptools (llhttp, C) or twisted (Twisted's own)."),
    ("--proxy-upstream", "upstream", UpstreamURL(), "Where M/proxy/<path> forwards to (default: uvicorn's /asgi beside the Site)."),
    ("--proxy-timeout", "upstream_timeout", click.FloatRange(0.1), "Seconds /proxy waits for the upstream to connect and between reads (then: 504)."),
]  # fmt: skip


# The section of `serve --help` each of _LIMITS' fields goes under (else "Resource
# limits").
_LIMIT_SECTIONS = {
    "header_timeout": "Timeouts", "idle_timeout": "Timeouts", "asgi_timeout": "Timeouts",
    "shutdown_grace": "Timeouts", "http": "HTTP", "max_form_fields": "Demo",
    "max_form_memory": "Demo", "xmlrpc_max_body": "Demo", "race_max_requests": "Demo",
    "race_max_seconds": "Demo", "proxy_upstream": "Demo", "upstream": "Demo",
    "upstream_timeout": "Demo", "ws_max_size": "WebSockets",
    "ws_ping_interval": "WebSockets", "ws_ping_timeout": "WebSockets",
}  # fmt: skip


def _limit_options(command: Callable[..., None]) -> Callable[..., None]:
    for flag, field, kind, text in reversed(_LIMITS):
        default = getattr(_defaults, field)
        option = click.option(
            flag, field, default=default, show_default=True, type=kind, help=text
        )
        command = section(_LIMIT_SECTIONS.get(field, "Resource limits"), option)(
            command
        )
    return command


class _Commands(click.Group):
    """The commands here, and those other installed packages offer under the entry
    point group `twistbridge.commands` (bench's `load` and `compare`): the server
    never imports the tools that measure it."""

    def _plugins(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            loaded = self._plugins()[name].load()
            command = loaded if isinstance(loaded, click.Command) else None
        return command


PLUGIN_GROUP = "twistbridge.commands"


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="twistbridge")
def main() -> None:
    """twistbridge: the web examples of "Twisted Network Programming Essentials",
    written four ways and served side by side by one Twisted process.

    \b
      /native/...  twisted.web resources (Deferreds, on the reactor)
      /wsgi/...    a Flask app in Twisted's WSGIResource (a thread pool)
      /asgi/...    a Starlette app on twistbridge's ASGI bridge (the event loop)
      /klein/...   a Klein app: Flask-style routes on twisted.web (the reactor)
      uvicorn      the same Starlette app on uvicorn, at :8001/asgi/...

    Start with `twistbridge serve` and open http://127.0.0.1:8000/.
    """


@main.command(cls=Sectioned)
@section(
    "Application",
    config_option,
    *APP_OPTIONS,
)
@section("Dashboard and admin", *ADMIN_OPTIONS)
@section(
    "Socket binding",
    click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind."),
    click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port of the Site (0: any free port)."),
    click.option("--endpoint", metavar="DESCRIPTION", help="A Twisted server endpoint string, e.g. 'tcp6:8000' or 'unix:/tmp/tb.sock'; replaces --host and --port."),
)  # fmt: skip
@section(
    "Development",
    click.option("--reload", is_flag=True, help="Replace the serving processes when a watched file changes (watchfiles)."),
    click.option("--reload-dir", "reload_dirs", multiple=True, type=click.Path(exists=True, file_okay=False), help="A folder to watch (repeatable; default: the working folder)."),
    click.option("--reload-include", "reload_includes", multiple=True, metavar="GLOB", help="File names to watch besides *.py (repeatable)."),
    click.option("--reload-exclude", "reload_excludes", multiple=True, metavar="GLOB", help="File names not to watch, besides .*, .py[cod], .sw.*, ~* (repeatable)."),
)  # fmt: skip
@section(
    "Production",
    click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 512), help="Worker processes serving the port, under a supervisor (uvicorn stays one process)."),
    click.option("--drain-delay", "drain_delay", default=_defaults.drain_delay, show_default=True, type=click.FloatRange(0), help="Seconds /readyz answers 503 on SIGTERM before the port closes (for a balancer to stop sending)."),
)  # fmt: skip
@section(
    "Logging",
    click.option("--log-level", default=_defaults.log_level, show_default=True, type=click.Choice(list(LEVELS)), help="Level of every logger (Twisted's events included)."),
    click.option("--log-config", type=click.Path(exists=True, dir_okay=False), help="A logging configuration: dictConfig as .json or .yaml, else fileConfig (INI)."),
    click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log every request, in --access-log-format."),
    click.option("--access-log-file", default="-", show_default=True, type=click.File("a", lazy=True), help="Where the access log goes ('-': standard output)."),
    click.option("--access-log-format", default=_defaults.access_log_format, show_default=True, type=click.Choice(list(FORMATS)), help="combined: Apache's combined format; json: an object a line, with the request id, duration and mount."),
)  # fmt: skip
@section(
    "HTTP",
    *PROXY_OPTIONS,
    click.option("--direct-lane/--no-direct-lane", default=_defaults.direct_lane, show_default=True, help="Answer the bridges' requests without a twisted.web Request (httptools only); off: every request takes the resource lane (docs/LANES.md)."),
    click.option("--show-lane", is_flag=True, help="Say which lane served each request: an X-Twistbridge-Lane header and a lane= field in the access log (docs/LANES.md)."),
)  # fmt: skip
@section(
    "WebSockets",
    click.option("--ws-per-message-deflate/--no-ws-per-message-deflate", "ws_per_message_deflate", default=_defaults.ws_per_message_deflate, show_default=True, help="Offer permessage-deflate compression (RFC 7692) on WebSockets."),
)  # fmt: skip
@section(
    "HTTPS",
    click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Serve HTTPS (and HTTP/2) with this PEM certificate (its chain may follow)."),
    click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="The certificate's PEM private key (default: in the certificate file)."),
    click.option("--ssl-keyfile-password", help="The password of an encrypted private key."),
)  # fmt: skip
@section(
    "Resource limits",
    click.option("--limit-concurrency", default=_defaults.limit_concurrency, show_default=True, type=click.IntRange(0), help="Requests in flight at most, per process; more get 503 (0: no limit)."),
    click.option("--limit-max-requests", default=_defaults.limit_max_requests, show_default=True, type=click.IntRange(0), help="Recycle a worker gracefully after this many requests (0: never); without --workers, one worker is recycled under a supervisor."),
    click.option("--limit-max-requests-jitter", default=_defaults.limit_max_requests_jitter, show_default=True, type=click.IntRange(0), help="Up to this many requests more, drawn per worker, so that workers do not recycle at once."),
    click.option("--backlog", default=_defaults.backlog, show_default=True, type=click.IntRange(1), help="Connections the port's listen queue holds."),
    click.option("--wsgi-threads", default=_defaults.wsgi_threads, show_default=True, type=click.IntRange(1, 1000), help="Threads of each WSGI mount's own pool."),
    click.option("--max-body-size", default=_defaults.max_body_size, show_default=True, type=click.IntRange(0), help="Largest request body, in bytes (larger: 413)."),
)  # fmt: skip
@section(
    "Demo",
    click.option("--uvicorn-port", default=8001, show_default=True, type=_PortOrAuto(), help="Port of uvicorn serving the same Starlette app; 0: no uvicorn; 'auto': any free port."),
    click.option("--static-root", type=click.Path(exists=True, file_okay=False, path_type=Path), help="Folder served at /static/ (default: the sample shipped with twistbridge)."),
    click.option("--static-child", "static_children", multiple=True, metavar="NAME=DIR", help="A folder mounted at /static/NAME/ (repeatable; replaces the sample's doc and logs)."),
    click.option("--busy-max", default=MAX_SECONDS, show_default=True, type=click.FloatRange(0, 3600), help="Largest `seconds` the busy pages accept."),
    click.option("--race/--no-race", default=_defaults.race, show_default=True, help="Let /race/start fire races from the server (--no-race: 403)."),
    click.option("--proxy-ca", "upstream_ca", type=click.Path(exists=True, dir_okay=False), help="PEM certificates an https upstream of /proxy is trusted by, beside the system's (default with --ssl-certfile: the served chain)."),
    click.option("--proxy-pool", "upstream_pool", default=_defaults.upstream_pool, show_default=True, type=click.IntRange(0, 1024), help="Idle connections each mount's /proxy keeps to its upstream (0: one per request)."),
)  # fmt: skip
@_limit_options
@click.option("--wsgi-validate", is_flag=True, hidden=True)  # the contract suite's
def serve(**params: Any) -> None:
    """Serve /native, /wsgi, /asgi and /klein on one Site, and uvicorn beside it; and your
    own apps (--wsgi, --asgi, --resource), beside them or alone (--no-demo), at any
    prefix including /.

    Flags may also come from a TOML file (--config, or [tool.twistbridge] in
    ./pyproject.toml), by their names without "--"; flags given here win."""
    from twisted_host.run.logging_setup import LogConfigError
    from twisted_host.run.main import run
    from twisted_host.run.tls import TLSFilesError

    plan = serve_plan(**params)
    try:
        status = run(
            plan.settings,
            apps=plan.apps,
            demo=plan.settings.demo,
            host=plan.host,
            port=plan.port,
            endpoint=plan.endpoint,
            uvicorn_port=plan.uvicorn_port,
            access_log=plan.access_log,
            tls=plan.tls,
            workers=plan.workers,
        )
    except TLSFilesError as bad:
        raise click.BadParameter(str(bad), param_hint="--ssl-certfile") from bad
    except LogConfigError as bad:
        raise click.BadParameter(str(bad), param_hint="--log-config") from None
    sys.exit(status)


@main.command("raw-echo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8002, show_default=True, type=click.IntRange(0, 65535))
def raw_echo(host: str, port: int) -> None:
    """The book's example 4-1: echo a request from a bare LineReceiver."""
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()  # before twisted.web imports the default reactor
    from twisted_host.native.raw import echo_factory
    from twisted_host.run.main import listen_forever

    sys.exit(listen_forever(echo_factory(), host, port, "raw-echo"))


@main.command("raw-handler")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8003, show_default=True, type=click.IntRange(0, 65535))
def raw_handler(host: str, port: int) -> None:
    """The book's example 4-2: an http.Request subclass on HTTPChannel."""
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()  # before twisted.web imports the default reactor
    from twisted_host.native.raw import handler_factory
    from twisted_host.run.main import listen_forever

    sys.exit(listen_forever(handler_factory(), host, port, "raw-handler"))


main.add_command(docs)
