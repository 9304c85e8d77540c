"""Klein's "what changes" note on every compare page, beside the notes of the other
three (over HTTP, against the session's server), and in docs/MIGRATION.md."""

from __future__ import annotations

import html
import re

import pytest

from core.contract import FEATURES
from tests.client import fetch
from tests.servers import DEFAULT_PARSER_ONLY, Server
from tests.twisted_host.dashboard.test_docs import COMMITTED

_NOTES = re.compile(r'<ul class="notes">(.*?)</ul>', re.S)
_ITEM = re.compile(r'<li(?: class="(\w+)")?>(.*?)</li>', re.S)
_TAG = re.compile(r"<[^>]+>")


@DEFAULT_PARSER_ONLY
@pytest.mark.parametrize("name", [feature.name for feature in FEATURES])
def test_every_compare_page_has_a_klein_note(server: Server, name: str) -> None:
    reply = fetch(f"{server.url}/compare/{name}")
    assert reply.status == 200
    found = _NOTES.search(reply.text)
    assert found is not None
    items = _ITEM.findall(found.group(1))
    klein = [html.unescape(_TAG.sub("", body)) for kind, body in items if kind]
    assert len(klein) == 1 and klein[0].startswith("Klein: "), items
    assert len(items) >= 2  # beside the notes on twisted.web, Flask and Starlette


def test_the_migration_guide_carries_the_klein_notes() -> None:
    guide = COMMITTED.read_text()
    for feature in FEATURES:
        section = guide.split(f"\n## {feature.name}\n", 1)[1].split("\n### ", 1)[0]
        assert "\n- Klein: " in section, feature.name
