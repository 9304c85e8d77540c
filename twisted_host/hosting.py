"""What a Site serves: a list of `App`s, each a mount (`core.mounts.Mount`) with the
object that answers under its prefix. The demo's mounts come from the registry
(`demo_apps`); a user's come from `wsgi(...)`, `asgi(...)` and `resource(...)`, or from the command
line (`twistbridge serve --wsgi /legacy=pkg.wsgi:application`). `build_site` and
`run` take the list, and the Site, `/stats` and the dashboard iterate it: nothing
else names a mount.

    from twisted_host.hosting import asgi, wsgi
    from twisted_host.run.main import run

    run(Settings(), apps=[wsgi("/legacy", application), asgi("/api", app)])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.mounts import MOUNTS, Interface, Mount, overlapping, user_mount
from core.settings import Settings
from twisted_host.types import ASGIApp, WSGIApp

if TYPE_CHECKING:
    from twisted.web.resource import IResource


@dataclass(frozen=True)
class App:
    """An app at a mount: a WSGI callable, an ASGI 3 callable, or a `twisted.web`
    resource, as `mount.interface` says."""

    mount: Mount
    target: Any

    @property
    def demo(self) -> bool:
        """One of the demo's mounts (the dashboard's feature links go to these)."""
        return self.mount in MOUNTS


def wsgi(prefix: str, app: WSGIApp, *, label: str | None = None) -> App:
    """A WSGI (PEP 3333) app at `prefix`, on a thread pool of its own."""
    return App(user_mount(prefix, Interface.WSGI, label or _label(app)), app)


def asgi(prefix: str, app: ASGIApp, *, label: str | None = None) -> App:
    """An ASGI 3 app at `prefix`, on the ASGI bridge, its lifespan run."""
    return App(user_mount(prefix, Interface.ASGI, label or _label(app)), app)


def resource(prefix: str, root: IResource, *, label: str | None = None) -> App:
    """A `twisted.web` resource tree at `prefix`, on the reactor thread."""
    return App(user_mount(prefix, Interface.NATIVE, label or _label(root)), root)


def demo_apps(settings: Settings) -> list[App]:
    """The demo's mounts of the registry, their apps built for `settings`."""
    from asgi_app import create_app as create_asgi_app
    from klein_app import create_resource as create_klein_resource
    from twisted_host.native import create_resource
    from wsgi_app import create_app as create_wsgi_app

    build: dict[Interface, Callable[[Settings], Any]] = {
        Interface.NATIVE: create_resource,
        Interface.WSGI: create_wsgi_app,
        Interface.ASGI: create_asgi_app,
        Interface.KLEIN: create_klein_resource,
    }
    apps = [App(mount, build[mount.interface](settings)) for mount in MOUNTS]
    if settings.wsgi_validate:
        # The contract suite's server: the Flask app inside the stdlib's PEP 3333
        # checker, which fails any request the server or the app gets wrong.
        from wsgiref.validate import validator

        apps = [
            App(app.mount, validator(app.target))
            if app.mount.interface is Interface.WSGI
            else app
            for app in apps
        ]
    return apps


class SpecError(ValueError):
    """A bad `--wsgi`/`--asgi`/`--resource` value; `flag` says which flag gave it."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(message)
        self.flag = flag


@dataclass(frozen=True)
class AppSpec:
    """An app named on the command line: which flag, its mount, `MODULE:ATTR`."""

    flag: str
    mount: Mount
    target: str


def app_specs(settings: Settings) -> list[AppSpec]:
    """The apps `settings` names (`--wsgi`, `--asgi`, `--resource`), checked but not
    imported;
    SpecError (one line) for a bad spec or prefix."""
    from twisted_host.run.loader import split_spec

    specs = []
    for flag, interface, values in (
        ("--wsgi", Interface.WSGI, settings.wsgi_apps),
        ("--asgi", Interface.ASGI, settings.asgi_apps),
        ("--resource", Interface.NATIVE, settings.resource_apps),
    ):
        for value in values:
            try:
                prefix, target = split_spec(value)
                mount = user_mount(prefix, interface, target)
            except ValueError as bad:  # LoadError is one too
                raise SpecError(flag, str(bad)) from None
            specs.append(AppSpec(flag, mount, target))
    return specs


def import_app(spec: AppSpec, *, factory: bool) -> App:
    """The app a spec names, imported (after `add_app_dir`); LoadError if not."""
    from twisted_host.run.loader import load

    native = spec.mount.interface is Interface.NATIVE
    return App(spec.mount, load(spec.target, factory=factory, resource=native))


def configured_apps(settings: Settings) -> list[App]:
    """Every app `settings` serves: the demo's (unless `demo` is off) and the user's,
    imported here (each worker of `--workers N` does this itself)."""
    from twisted_host.run.loader import add_app_dir

    specs = app_specs(settings)
    if specs:
        add_app_dir(Path(settings.app_dir))
    own = [import_app(spec, factory=settings.app_factory) for spec in specs]
    return [*demo_apps(settings), *own] if settings.demo else own


def check(apps: Sequence[App]) -> None:
    """Raise ValueError (one line) when the apps cannot share one Site."""
    problem = overlapping([app.mount for app in apps])
    if problem is not None:
        raise ValueError(problem)


def _label(app: object) -> str:
    kind = type(app)
    return getattr(app, "__qualname__", None) or f"{kind.__module__}.{kind.__name__}"
