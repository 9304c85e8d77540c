"""The modules of `twisted_host.http` import one another one way only (every import
counted, those for type checking too), and the edge's rules import none of the
lanes: a lane may import them, never the other way round."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import twisted_host.http

HTTP = Path(twisted_host.http.__file__).parent
PACKAGE = "twisted_host.http"


def _module(path: Path) -> str:
    parts = path.relative_to(HTTP).with_suffix("").parts
    return ".".join([PACKAGE, *(p for p in parts if p != "__init__")])


def _imports() -> dict[str, set[str]]:
    modules = {_module(path): path for path in HTTP.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_import_cycle() -> None:
    try:
        order = list(TopologicalSorter(_imports()).static_order())
    except CycleError as error:
        raise AssertionError(f"an import cycle: {error.args[1]}") from None
    assert f"{PACKAGE}.rules" in order


def test_the_rules_import_no_lane() -> None:
    rules = f"{PACKAGE}.rules"
    for name, imported in _imports().items():
        if name.startswith(rules):
            assert all(m.startswith(rules) for m in imported), (name, imported)
