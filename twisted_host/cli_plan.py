"""`serve`'s flags, once click has parsed them, as a plan: the settings, the apps and
how to run them. `twistbridge serve` runs the plan; the `twistd` plugin
(`twisted_host.twistd`) parses the same flags with the same click command and runs the
plan under twistd's reactor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from core.settings import Settings
from twisted_host.cli_apps import user_apps

if TYPE_CHECKING:
    from twisted_host.hosting import App
    from twisted_host.run.tls import TLSFiles

_defaults = Settings()


def _child(value: str) -> tuple[str, Path]:
    name, sep, folder = value.partition("=")
    if not sep or not name or "/" in name:
        raise click.BadParameter(f"{value!r} is not NAME=DIR")
    path = Path(folder)
    if not path.is_dir():
        raise click.BadParameter(f"{folder!r} is not a folder")
    return name, path


def _check_tls(tls: TLSFiles) -> None:
    # Read now, while the flags are checked: a usage error of one line, from
    # `serve` and from twistd alike (whose service starts after its own start-up,
    # where a bad file was a traceback).
    from twisted_host.run.tls import TLSFilesError, certificate_options

    try:
        certificate_options(tls)
    except TLSFilesError as bad:
        raise click.BadParameter(str(bad), param_hint="--ssl-certfile") from bad


@dataclass(frozen=True)
class ServePlan:
    """What `serve`'s flags ask for: the settings, and how to run them."""

    settings: Settings
    apps: list[App]
    host: str
    port: int
    endpoint: str | None
    uvicorn_port: int
    access_log: TextIO | None
    tls: TLSFiles | None
    workers: int


def serve_plan(
    host: str,
    port: int,
    endpoint: str | None,
    uvicorn_port: int,
    wsgi_threads: int,
    static_root: Path | None,
    static_children: tuple[str, ...],
    busy_max: float,
    max_body_size: int,
    access_log: bool,
    access_log_file: TextIO,
    wsgi_apps: tuple[str, ...],
    asgi_apps: tuple[str, ...],
    factory: bool,
    app_dir: Path,
    demo: bool,
    proxy_headers: bool,
    forwarded_allow_ips: str,
    ssl_certfile: Path | None,
    ssl_keyfile: Path | None,
    ssl_keyfile_password: str | None,
    wsgi_validate: bool,
    direct_lane: bool,
    show_lane: bool,
    workers: int,
    dashboard: str | None,
    no_dashboard: bool,
    log_config: str | None,
    **limits: Any,
) -> ServePlan:
    """`serve`'s flags, checked (a click error for a bad one), as a plan."""
    from twisted_host.run.tls import TLSFiles

    if no_dashboard and dashboard is not None:
        raise click.UsageError("--dashboard and --no-dashboard: pick one")
    if dashboard is None and not no_dashboard and demo:
        dashboard = "/"  # the demo keeps its URLs
    if ssl_certfile is None and (ssl_keyfile or ssl_keyfile_password):
        raise click.BadParameter("needs --ssl-certfile", param_hint="--ssl-keyfile")
    tls = (
        TLSFiles(ssl_certfile, ssl_keyfile, ssl_keyfile_password)
        if ssl_certfile
        else None
    )
    if tls is not None:
        _check_tls(tls)

    try:
        children = dict(_child(value) for value in static_children)
    except click.BadParameter as bad:
        bad.param_hint = "--static-child"
        raise
    if endpoint and workers > 1:
        raise click.UsageError("--workers serves --host/--port, not an --endpoint")
    settings = Settings(
        static_root=static_root or _defaults.static_root,
        static_children=children or _defaults.static_children,
        wsgi_threads=wsgi_threads,
        busy_max=busy_max,
        busy_default=min(_defaults.busy_default, busy_max),
        max_body_size=max_body_size,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        wsgi_validate=wsgi_validate,
        direct_lane=direct_lane,
        show_lane=show_lane,
        wsgi_apps=wsgi_apps,
        asgi_apps=asgi_apps,
        app_factory=factory,
        app_dir=str(app_dir),
        demo=demo,
        dashboard=dashboard,
        log_config=log_config or "",
        **limits,
    )
    # With workers (or one recycled, `run`), each imports the apps itself: here they
    # are only checked.
    if endpoint and settings.reload:
        raise click.UsageError("--reload serves --host/--port, not an --endpoint")
    recycled = settings.limit_max_requests > 0 and not endpoint
    supervised = workers > 1 or recycled or settings.reload
    apps = user_apps(settings, load=not supervised)
    return ServePlan(
        settings,
        apps,
        host,
        port,
        endpoint,
        uvicorn_port,
        # The real file, not click's lazy wrapper (an attribute lookup per write).
        access_log_file.open() if access_log else None,  # type: ignore[attr-defined]
        tls,
        workers,
    )
