"""The `serve` flags that host one's own apps beside the demo or instead of it
(`--wsgi`, `--asgi`, `--factory`, `--app-dir`, `--no-demo`), and those for running
behind a proxy: uvicorn's vocabulary, kept apart from the rest of the command; and
the type of `--proxy-upstream`, where `/proxy` forwards to."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.mounts import MOUNTS, overlapping
from core.settings import Settings

if TYPE_CHECKING:
    from twisted_host.hosting import App

_defaults = Settings()

# Your own apps beside the demo, or instead of it (`uvicorn module:app`'s vocabulary:
# --factory, --app-dir; --proxy-headers and --forwarded-allow-ips as uvicorn's).
APP_OPTIONS: list[Callable[[Callable[..., None]], Callable[..., None]]] = [
    click.option("--wsgi", "wsgi_apps", multiple=True, metavar="PREFIX=MODULE:ATTR", help="A WSGI app served at PREFIX on a thread pool of its own (repeatable), e.g. /legacy=mysite.wsgi:application."),
    click.option("--asgi", "asgi_apps", multiple=True, metavar="PREFIX=MODULE:ATTR", help="An ASGI 3 app served at PREFIX on the ASGI bridge (repeatable), e.g. /api=main:app."),
    click.option("--factory", is_flag=True, help="MODULE:ATTR names app factories: call each with no arguments to get the app."),
    click.option("--app-dir", default=".", show_default=True, type=click.Path(exists=True, file_okay=False, path_type=Path), help="Look for the apps' modules in this folder first."),
    click.option("--demo/--no-demo", default=True, show_default=True, help="Serve the chapter's /native, /wsgi, /asgi and /klein (and uvicorn beside them)."),
    click.option("--proxy-headers/--no-proxy-headers", default=_defaults.proxy_headers, show_default=True, help="Take the client's address and scheme from X-Forwarded-For, X-Forwarded-Proto (or Forwarded) sent by a trusted peer."),
    click.option("--forwarded-allow-ips", default=_defaults.forwarded_allow_ips, show_default=True, envvar="FORWARDED_ALLOW_IPS", help="Peers trusted with proxy headers: addresses and networks, comma-separated; '*' trusts all."),
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


def app_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(APP_OPTIONS):
        command = option(command)
    return command


def user_apps(settings: Settings, *, load: bool = True) -> list[App]:
    """The apps of --wsgi and --asgi, imported (unless `load` is off: the workers of
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
    if problem is not None:
        raise click.UsageError(problem)
    if not specs:
        if not settings.demo:
            raise click.UsageError(
                "--no-demo leaves nothing to serve: add --wsgi or --asgi"
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
