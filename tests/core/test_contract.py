"""The feature table: consistent in itself and with DESIGN.md's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.contract import FEATURES, FEATURES_BY_NAME, allow_header
from core.mounts import MOUNT_NAMES as MOUNTS

DESIGN = Path(__file__).resolve().parents[3] / "shared" / "DESIGN.md"
# Rows the contract has and DESIGN.md (which this project may not edit) has not yet:
# the chapter's closing list, asked for since. Each must be named here, with why.
BEYOND_DESIGN: dict[str, str] = {
    "proxy": "the chapter's ProxyResource (issue 18): the strangler-fig migration",
    "xmlrpc": "the chapter's closing list names twisted.web's XMLRPC (issue 18)",
}


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


def test_agrees_with_design() -> None:
    if not DESIGN.exists():
        pytest.skip(f"{DESIGN} is not beside this checkout")
    rows = re.findall(r"^\| ([a-z-]+) \| ([0-9-]+|—) \|", DESIGN.read_text(), re.M)
    design = {name: ("" if chapter == "—" else chapter) for name, chapter in rows}
    ours = {feature.name: feature.chapter for feature in FEATURES}
    assert {name: ours.get(name) for name in design} == design
    assert set(ours) - set(design) == set(BEYOND_DESIGN)
