"""Content types, refused names and paths, and the listing page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.static import (
    Entry,
    content_type,
    is_refused,
    list_directory,
    listing_page,
    local_path,
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


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A root with a file, a folder, a dot file, and links in and out."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (root / ".env").write_text("secret")
    (outside / "secret.txt").write_text("secret")
    os.symlink(root / "a.txt", root / "alias.txt")
    os.symlink(outside / "secret.txt", root / "link.txt")
    os.symlink(outside, root / "linkdir")
    return root


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], ""),
        ([""], ""),
        (["a.txt"], "a.txt"),
        (["sub", ""], "sub"),
        (["sub", "b.txt"], "sub/b.txt"),
        (["sub", "", "b.txt"], "sub/b.txt"),
        (["alias.txt"], "alias.txt"),  # a link that stays inside
        (["missing"], "missing"),  # not found is the framework's answer, not ours
    ],
)
def test_local_path_serves(tree: Path, names: list[str], expected: str) -> None:
    assert local_path(tree, names) == os.path.normpath(tree / expected)


@pytest.mark.parametrize(
    "names",
    [
        [".env"],
        [".."],
        ["..", "outside", "secret.txt"],
        ["sub", "..", "a.txt"],
        ["."],
        ["a.txt\0"],
        ["sub\\..\\a.txt"],
        ["link.txt"],
        ["linkdir"],
        ["linkdir", "secret.txt"],
        ["/etc"],
        ["sub/../../outside"],
    ],
)
def test_local_path_refuses(tree: Path, names: list[str]) -> None:
    assert local_path(tree, names) is None


def test_local_path_root_may_be_a_link(tree: Path, tmp_path: Path) -> None:
    os.symlink(tree, tmp_path / "www")
    assert local_path(tmp_path / "www", ["a.txt"]) == str(tmp_path / "www" / "a.txt")
