"""`/compare/<feature>`: a feature's implementations, one per mount, side by side.

The source shown is read from the modules the Site runs (`inspect.getsource`), so a
compare page cannot drift from the code; `parts.IMPLEMENTED_BY` says which classes,
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

from core.contract import FEATURES, FEATURES_BY_NAME, Feature
from core.mounts import MOUNTS, UVICORN, Mount
from twisted_host.dashboard import flask_to_klein, moving
from twisted_host.dashboard.klein_notes import KLEIN_NOTES
from twisted_host.dashboard.notes import CHEAT_SHEET, NOTES
from twisted_host.dashboard.parts import IMPLEMENTED_BY, InModule, Part
from twisted_host.dashboard.templating import code_block, render, uvicorn_base
from twisted_host.native.errors import NotFound, Page, html

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
    """The feature's blocks per side, in the registry's order; read once per process."""
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
    """One feature, on every mount."""

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
            klein_note=KLEIN_NOTES[self.feature.name],
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
            flask_to_klein=flask_to_klein,
            moving=moving,
            moving_code=[
                code_block(part.code) if part.code else "" for part in moving.SECTIONS
            ],
        )
        return html(request, page)
