"""`/compare/<feature>`: a feature's three implementations side by side.

The source shown is read from the modules the Site runs (`inspect.getsource`), so a
compare page cannot drift from the code; `IMPLEMENTED_BY` says which classes,
functions and module-level tables implement each feature of the contract.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from dataclasses import dataclass
from types import ModuleType

from twisted.web.resource import Resource
from twisted.web.server import Request

import asgi_app.app
import asgi_app.busy
import asgi_app.dynamic
import asgi_app.errors
import asgi_app.form
import asgi_app.live
import asgi_app.pages
import asgi_app.proxy
import asgi_app.static
import twisted_host.native.app
import twisted_host.native.busy
import twisted_host.native.dynamic
import twisted_host.native.errors
import twisted_host.native.form
import twisted_host.native.live
import twisted_host.native.pages
import twisted_host.native.proxy
import twisted_host.native.static
import wsgi_app.app
import wsgi_app.busy
import wsgi_app.dynamic
import wsgi_app.errors
import wsgi_app.form
import wsgi_app.live
import wsgi_app.pages
import wsgi_app.proxy
import wsgi_app.static
from core.contract import FEATURES, FEATURES_BY_NAME, Feature
from core.mounts import MOUNTS, UVICORN, Mount
from twisted_host.dashboard import moving
from twisted_host.dashboard.notes import CHEAT_SHEET, NOTES
from twisted_host.dashboard.templating import code_block, render, uvicorn_base
from twisted_host.native.errors import NotFound, Page, html


@dataclass(frozen=True)
class InModule:
    """A module-level name whose value `inspect` cannot trace back to its source: an
    assignment (Starlette's `routes = [...]`), or a function a decorator swallowed
    (Flask's `record_once` returns None). It is cut out of the module's syntax tree."""

    module: ModuleType
    name: str


Part = type | object  # a class, a function, or an InModule

_n = twisted_host.native
_w = wsgi_app
_a = asgi_app

# feature -> (native, wsgi, asgi) parts, each in reading order.
IMPLEMENTED_BY: dict[str, tuple[tuple[Part, ...], ...]] = {
    "home": (
        (_n.pages.Home, _n.app.create_resource),
        (_w.pages.home, _w.app.create_app),
        (_a.pages.home, InModule(_a.pages, "routes"), _a.app.create_app),
    ),
    "about": (
        (_n.pages.About,),
        (_w.pages.about,),
        (_a.pages.about,),
    ),
    "not-found": (
        (_n.errors.Page, _n.errors.NotFound, _n.errors.render_or_405),
        (_w.errors.not_found, _w.errors.method_not_allowed, _w.errors.register),
        (_a.errors.http_error, InModule(_a.errors, "handlers")),
    ),
    "echo": (
        (_n.pages.Echo,),
        (_w.pages.echo, InModule(_w.pages, "_route_echo")),
        (_a.pages.echo, _a.pages.ASGIEndpoint, InModule(_a.pages, "routes")),
    ),
    "hello": (
        (_n.pages.Hello,),
        (_w.pages.hello,),
        (_a.pages.hello,),
    ),
    "static": (
        (_n.static.StaticFolder, _n.static.Listing),
        (_w.static._serve, _w.static.create_blueprint),
        (_a.static.StaticFolder, _a.static.create_routes),
    ),
    "static-dispatch": (
        (_n.static.create_static,),
        (_w.static.create_blueprint,),
        (_a.static.create_routes,),
    ),
    "clock": (
        (_n.dynamic.Clock,),
        (_w.dynamic.clock,),
        (_a.dynamic.clock, InModule(_a.dynamic, "routes")),
    ),
    "calendar": (
        (_n.dynamic.Calendar, _n.dynamic.Year, _n.dynamic.create_calendar),
        (_w.dynamic.calendar, _w.dynamic.year),
        (_a.dynamic.calendar, _a.dynamic.year, InModule(_a.dynamic, "routes")),
    ),
    "redirect": (
        (_n.dynamic.Now,),
        (_w.dynamic.now,),
        (_a.dynamic.now,),
    ),
    "form": (
        (_n.form.Form,),
        (_w.form.form, _w.form.submit),
        (_a.form.Form,),
    ),
    "busy": (
        (_n.busy._Wait, _n.busy.Busy),
        (_w.busy._seconds, _w.busy.busy),
        (_a.busy._seconds, _a.busy.busy),
    ),
    "busy-blocking": (
        (_n.busy.Blocking,),
        (_w.busy.blocking,),
        (_a.busy.blocking,),
    ),
    "busy-thread": (
        (_n.busy.Threaded,),
        (_w.busy.thread,),
        (_a.busy.thread,),
    ),
    "ws": (
        (_n.live.Echo, _n.live.EchoFactory, _n.live.EchoSocket, _n.live.create_ws),
        (_w.live.ws, _w.live.upgrade_refused),
        (_a.live.ws, InModule(_a.live, "routes")),
    ),
    "events": (
        (_n.live.Events, _n.live._Stream),
        (_w.live._ticks, _w.live.events),
        (_a.live._ticks, _a.live.events),
    ),
    "proxy": (
        (_n.proxy.Proxy, _n.proxy.UpstreamFactory, _n.proxy.UpstreamClient),
        (_w.proxy.forward, _w.proxy._relay),
        (_a.proxy.forward, _a.proxy._relay, InModule(_a.proxy, "routes")),
    ),
}


# A column of a compare page: one mount, in the registry's order.
Side = Mount
SIDES = MOUNTS


@dataclass(frozen=True)
class Block:
    path: str  # the module's file, relative to the project: stable across installs
    name: str
    source: str


def _module_path(module: ModuleType) -> str:
    return module.__name__.replace(".", "/") + ".py"


def _names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else []
    if isinstance(node, ast.AnnAssign):
        targets = [node.target]
    return [target.id for target in targets if isinstance(target, ast.Name)]


def _module_level_source(part: InModule) -> str:
    module_source = inspect.getsource(part.module)
    lines = module_source.splitlines(keepends=True)
    for node in ast.parse(module_source).body:
        if part.name in _names(node):
            # From the first decorator, which the node's own line number skips.
            decorators = getattr(node, "decorator_list", [])
            first = min([node.lineno] + [d.lineno for d in decorators])
            assert node.end_lineno is not None
            return "".join(lines[first - 1 : node.end_lineno])
    raise LookupError(f"{part.name} is not defined in {part.module.__name__}")


def block(part: Part) -> Block:
    """The source of one part, as the running interpreter loaded it."""
    if isinstance(part, InModule):
        module, name, source = part.module, part.name, _module_level_source(part)
    else:
        found = inspect.getmodule(part)
        assert found is not None, part
        module, name = found, part.__qualname__  # type: ignore[attr-defined]
        source = textwrap.dedent(inspect.getsource(part))  # type: ignore[arg-type]
    return Block(_module_path(module), name, source.rstrip() + "\n")


@functools.cache
def implementations(name: str) -> tuple[tuple[Side, tuple[Block, ...]], ...]:
    """The feature's blocks per side (native, wsgi, asgi); read once per process."""
    parts = IMPLEMENTED_BY[name]
    return tuple(
        (side, tuple(block(part) for part in side_parts))
        for side, side_parts in zip(SIDES, parts, strict=True)
    )


def _try_links(
    feature: Feature, request: Request, uvicorn_port: int | None
) -> list[tuple[str, str]]:
    links = [(side.name, f"{side.prefix}{feature.example}") for side in SIDES]
    base = uvicorn_base(request, uvicorn_port)
    if base:
        links.append((UVICORN, base + feature.example))
    return links


class ComparePage(Page):
    """One feature, three ways."""

    def __init__(self, feature: Feature, uvicorn_port: int | None) -> None:
        super().__init__()
        self.feature = feature
        self.uvicorn_port = uvicorn_port

    def render_GET(self, request: Request) -> bytes:
        names = [feature.name for feature in FEATURES]
        here = names.index(self.feature.name)
        sides = [
            (side, [(b, code_block(b.source)) for b in blocks])
            for side, blocks in implementations(self.feature.name)
        ]
        page = render(
            "compare.html",
            feature=self.feature,
            notes=NOTES[self.feature.name],
            sides=sides,
            try_links=_try_links(self.feature, request, self.uvicorn_port),
            previous=names[here - 1] if here > 0 else None,
            next=names[here + 1] if here + 1 < len(names) else None,
            features=FEATURES,
        )
        return html(request, page)


class CompareIndex(Page):
    """`/compare/`: every feature, and the migration cheat sheet."""

    def __init__(self, uvicorn_port: int | None) -> None:
        super().__init__()
        self.uvicorn_port = uvicorn_port

    def getChild(self, path: bytes, request: Request) -> Resource:
        if path == b"":
            return self
        feature = FEATURES_BY_NAME.get(path.decode("utf-8", "replace"))
        if feature is None:
            return NotFound()
        return ComparePage(feature, self.uvicorn_port)

    def render_GET(self, request: Request) -> bytes:
        page = render(
            "compare_index.html",
            features=FEATURES,
            cheat_sheet=CHEAT_SHEET,
            moving=moving,
            moving_code=[
                code_block(part.code) if part.code else "" for part in moving.SECTIONS
            ],
        )
        return html(request, page)
