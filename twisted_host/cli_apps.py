"""The `serve` flags that host one's own apps beside the demo or instead of it
(`--wsgi`, `--asgi`, `--factory`, `--app-dir`, `--no-demo`), and those for running
behind a proxy: uvicorn's vocabulary, kept apart from the rest of the command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.mounts import MOUNTS, Interface, Mount, overlapping, user_mount
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
    click.option("--demo/--no-demo", default=True, show_default=True, help="Serve the chapter's /native, /wsgi and /asgi (and uvicorn beside them)."),
    click.option("--proxy-headers/--no-proxy-headers", default=_defaults.proxy_headers, show_default=True, help="Take the client's address and scheme from X-Forwarded-For, X-Forwarded-Proto (or Forwarded) sent by a trusted peer."),
    click.option("--forwarded-allow-ips", default=_defaults.forwarded_allow_ips, show_default=True, envvar="FORWARDED_ALLOW_IPS", help="Peers trusted with proxy headers: addresses and networks, comma-separated; '*' trusts all."),
]  # fmt: skip


def app_options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(APP_OPTIONS):
        command = option(command)
    return command


def user_apps(
    wsgi_apps: tuple[str, ...],
    asgi_apps: tuple[str, ...],
    *,
    factory: bool,
    app_dir: Path,
    demo: bool,
) -> list[App]:
    """The apps of --wsgi and --asgi, imported; a click error (exit 2) for a bad
    prefix, a module or attribute not found, or two prefixes in one place."""
    from twisted_host.run.loader import LoadError, add_app_dir, load, split_spec

    specs: list[tuple[str, Mount, str]] = []  # flag, mount, MODULE:ATTR
    for flag, interface, values in (
        ("--wsgi", Interface.WSGI, wsgi_apps),
        ("--asgi", Interface.ASGI, asgi_apps),
    ):
        for value in values:
            try:
                prefix, target = split_spec(value)
                mount = user_mount(prefix, interface, target)
            except ValueError as bad:
                raise click.BadParameter(str(bad), param_hint=f"'{flag}'") from None
            specs.append((flag, mount, target))
    problem = overlapping([*(MOUNTS if demo else ()), *(m for _, m, _ in specs)])
    if problem is not None:
        raise click.UsageError(problem)
    if not specs:
        if not demo:
            raise click.UsageError(
                "--no-demo leaves nothing to serve: add --wsgi or --asgi"
            )
        return []
    # Importing an app may import Twisted's reactor: the asyncio one must be first.
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    from twisted_host.hosting import App

    add_app_dir(app_dir)
    apps = []
    for flag, mount, target in specs:
        try:
            apps.append(App(mount, load(target, factory=factory)))
        except LoadError as bad:
            raise click.BadParameter(str(bad), param_hint=f"'{flag}'") from None
    return apps
