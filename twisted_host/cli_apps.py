"""The `serve` flags that host one's own apps beside the demo or instead of it
(`--wsgi`, `--asgi`, `--resource`, `--factory`, `--app-dir`, `--no-demo`), those
that place the dashboard and the ops endpoints, and those for running behind a proxy:
uvicorn's vocabulary, kept apart from the rest of the command; and the type of
`--proxy-upstream`, where `/proxy` forwards to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from core.mounts import MOUNTS, overlapping, segments_of, taken_by_site
from core.settings import Settings

if TYPE_CHECKING:
    from twisted_host.hosting import App

_defaults = Settings()
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class Prefix(click.ParamType):  # type: ignore[type-arg]
    """A path prefix: "/", "/admin", "/a/b"."""

    name = "PREFIX"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        try:
            return "/" + "/".join(segments_of(str(value)))
        except ValueError as bad:
            self.fail(str(bad), param, ctx)


class RootPath(click.ParamType):  # type: ignore[type-arg]
    """`--root-path`: "" or a path such as "/api" (a trailing "/" dropped)."""

    name = "PATH"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        path = str(value).rstrip("/")
        if path and not path.startswith("/"):
            self.fail(f"{value!r} is not a path such as /api", param, ctx)
        return path


# Your own apps beside the demo, or instead of it (`uvicorn module:app`'s vocabulary:
# --factory, --app-dir).
APP_OPTIONS: list[Decorator] = [
    click.option("--wsgi", "wsgi_apps", multiple=True, metavar="PREFIX=MODULE:ATTR", help="A WSGI app served at PREFIX ('/' for the root) on a thread pool of its own (repeatable), e.g. /legacy=mysite.wsgi:application."),
    click.option("--asgi", "asgi_apps", multiple=True, metavar="PREFIX=MODULE:ATTR", help="An ASGI 3 app served at PREFIX on the ASGI bridge (repeatable), e.g. /=main:app."),
    click.option("--resource", "resource_apps", multiple=True, metavar="PREFIX=MODULE:ATTR", help="A twisted.web IResource served at PREFIX on the reactor (repeatable), e.g. /files=site:root."),
    click.option("--factory", is_flag=True, help="MODULE:ATTR names app factories: call each with no arguments to get the app."),
    click.option("--app-dir", default=".", show_default=True, type=click.Path(exists=True, file_okay=False, path_type=Path), help="Look for the apps' modules in this folder first."),
    click.option("--demo/--no-demo", default=True, show_default=True, help="Serve the chapter's /native, /wsgi, /asgi and /klein (and uvicorn beside them)."),
]  # fmt: skip

# Behind a proxy (uvicorn's --root-path, --proxy-headers, --forwarded-allow-ips).
PROXY_OPTIONS: list[Decorator] = [
    click.option("--root-path", default="", type=RootPath(), help="The path a proxy serves this server under (ASGI root_path, WSGI SCRIPT_NAME start with it), e.g. /api."),
    click.option("--proxy-headers/--no-proxy-headers", default=_defaults.proxy_headers, show_default=True, help="Take the client's address and scheme from X-Forwarded-For, X-Forwarded-Proto (or Forwarded) sent by a trusted peer."),
    click.option("--forwarded-allow-ips", default=_defaults.forwarded_allow_ips, show_default=True, envvar="FORWARDED_ALLOW_IPS", help="Peers trusted with proxy headers: addresses and networks, comma-separated; '*' trusts all."),
]  # fmt: skip

# Where the dashboard and the ops endpoints go: on the public port at a prefix, off,
# or on an admin listener of their own so that the public port serves the apps alone.
ADMIN_OPTIONS: list[Decorator] = [
    click.option("--dashboard", metavar="PREFIX", type=Prefix(), help="Serve the dashboard (/, /compare/, /race, /stats, /live) at PREFIX (default: / with the demo, none without)."),
    click.option("--no-dashboard", is_flag=True, help="Serve no dashboard."),
    click.option("--ops-prefix", default=_defaults.ops_prefix, show_default=True, type=Prefix(), help="Where /metrics, /healthz and /readyz go."),
    click.option("--admin-port", type=click.IntRange(0, 65535), help="Serve the dashboard and /metrics, /healthz, /readyz on this port instead, not on the public one (0: any free port)."),
    click.option("--admin-host", default=_defaults.admin_host, show_default=True, help="Address of the admin listener."),
]  # fmt: skip


class UpstreamURL(click.ParamType):  # type: ignore[type-arg]
    """`--proxy-upstream`: an http(s) URL that `core.proxy.Upstream` accepts."""

    name = "URL"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        from core.proxy import upstream_of

        try:
            upstream_of(str(value))  # "": the default, uvicorn beside the Site
        except ValueError as bad:
            self.fail(str(bad), param, ctx)
        return str(value)


def user_apps(settings: Settings, *, load: bool = True) -> list[App]:
    """The apps of --wsgi, --asgi and --resource, imported (unless `load` is off: the workers of
    `--workers N` import them, each); a click error (exit 2) for a bad prefix, a
    module or attribute not found, or two prefixes in one place."""
    from twisted_host.hosting import SpecError, app_specs, import_app
    from twisted_host.run.loader import LoadError, add_app_dir

    try:
        specs = app_specs(settings)
    except SpecError as bad:
        raise click.BadParameter(str(bad), param_hint=f"'{bad.flag}'") from None
    mounts = [spec.mount for spec in specs]
    problem = overlapping([*(MOUNTS if settings.demo else ()), *mounts])
    public = settings.admin_port is None  # else the Site's pages are the admin's
    for mount in mounts:
        if problem is None and public:
            problem = taken_by_site(mount, settings.dashboard, settings.ops_prefix)
    if problem is not None:
        raise click.UsageError(problem)
    if not specs:
        if not settings.demo:
            raise click.UsageError(
                "--no-demo leaves nothing to serve: add --wsgi, --asgi or --resource"
            )
        return []
    if not load:
        return []
    # Importing an app may import Twisted's reactor: the asyncio one must be first.
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    add_app_dir(Path(settings.app_dir))
    apps = []
    for spec in specs:
        try:
            apps.append(import_app(spec, factory=settings.app_factory))
        except LoadError as bad:
            raise click.BadParameter(str(bad), param_hint=f"'{spec.flag}'") from None
    return apps
