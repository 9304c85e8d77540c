"""Content types, refused names and the listing page."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.static import (
    Entry,
    content_type,
    is_refused,
    list_directory,
    listing_page,
    slash_url,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "text/plain; charset=utf-8"),
        ("a.html", "text/html; charset=utf-8"),
        ("a.css", "text/css; charset=utf-8"),
        ("a.svg", "image/svg+xml"),
        ("a.png", "image/png"),
        ("a.bin", "application/octet-stream"),
        ("noextension", "application/octet-stream"),
    ],
)
def test_content_type(name: str, expected: str) -> None:
    assert content_type(name) == expected


@pytest.mark.parametrize(
    ("name", "refused"),
    [(".env", True), (".git", True), ("a\0b", True), ("a\\b", True), ("a.txt", False)],
)
def test_is_refused(name: str, refused: bool) -> None:
    assert is_refused(name) is refused


def test_listing_escapes_names_and_hides_dot_files(tmp_path: Path) -> None:
    (tmp_path / "<script>.txt").write_text("x")
    (tmp_path / ".secret").write_text("x")
    (tmp_path / "sub dir").mkdir()
    entries = list_directory(tmp_path)
    assert entries == [Entry("sub dir", True, 0), Entry("<script>.txt", False, 1)]
    page = listing_page("/m/static/", entries)
    assert "<script>" not in page
    assert '<a href="%3Cscript%3E.txt">&lt;script&gt;.txt</a>' in page
    assert '<a href="sub%20dir/">sub dir/</a>' in page


def test_slash_url() -> None:
    assert slash_url("/m/static/a b", "") == "/m/static/a%20b/"
    assert slash_url("/m/static/d", "x=1") == "/m/static/d/?x=1"
