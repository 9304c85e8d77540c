"""The feature table: consistent in itself and with DESIGN.md's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.contract import FEATURES, FEATURES_BY_NAME, allow_header
from core.mounts import MOUNT_NAMES as MOUNTS

DESIGN = Path(__file__).resolve().parents[3] / "shared" / "DESIGN.md"


def test_names_are_unique_and_indexed() -> None:
    assert len(FEATURES_BY_NAME) == len(FEATURES)
    assert MOUNTS == ("native", "wsgi", "asgi", "klein")


def test_every_feature_has_a_clickable_example() -> None:
    for feature in FEATURES:
        assert feature.example.startswith("/"), feature.name
        assert feature.teaches.endswith("."), feature.name


@pytest.mark.parametrize(
    ("methods", "header"),
    [
        (["head", "GET"], "GET, HEAD"),
        (["POST", "GET", "HEAD"], "GET, HEAD, POST"),
        (("OPTIONS", "GET", "BREW"), "GET, OPTIONS, BREW"),
        ([], ""),
    ],
)
def test_allow_header_order(methods: list[str], header: str) -> None:
    assert allow_header(methods) == header


def _design_rows() -> list[tuple[str, str, str]]:
    """DESIGN.md's feature rows: (name, chapter, request)."""
    if not DESIGN.exists():
        pytest.skip(f"{DESIGN} is not beside this checkout")
    pattern = r"^\| ([a-z-]+) \| ([0-9-]+|—) \| ([^|]+) \|"
    return re.findall(pattern, DESIGN.read_text(), re.M)


def test_agrees_with_design() -> None:
    """The same features, each from the same chapter example, in both tables."""
    design = {
        name: ("" if chapter == "—" else chapter) for name, chapter, _ in _design_rows()
    }
    assert {feature.name: feature.chapter for feature in FEATURES} == design


def test_paths_agree_with_design() -> None:
    """Each feature's path is the first `M/…` path of its design row ("…", "<path>"
    and a query left out); "any other path" is the catch-all."""
    for name, _, request in _design_rows():
        first = re.search(r"M(/[^`?…<,;\s]*)", request)
        path = FEATURES_BY_NAME[name].path.rstrip("*")
        assert (first.group(1) if first else "/") == path, name


def test_mounts_agree_with_design() -> None:
    if not DESIGN.exists():
        pytest.skip(f"{DESIGN} is not beside this checkout")
    design = re.findall(r"^\| `/([a-z]+)` \|", DESIGN.read_text(), re.M)
    assert tuple(design) == MOUNTS
