"""Static roots given on the command line: links out of a root are never followed,
dot files never served nor listed, names in listings escaped, on every mount."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.static import list_directory, listing_page
from tests.client import fetch
from tests.conftest import MOUNTS
from tests.servers import Server, run_server


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    tmp = tmp_path_factory.mktemp("roots")
    root, outside, extra = tmp / "root", tmp / "outside", tmp / "extra"
    for folder in (root, outside, extra):
        folder.mkdir()
    (outside / "secret.txt").write_text("outside the root")
    (root / "inside.txt").write_text("inside the root")
    (root / "<b>&.txt").write_text("odd name")
    (root / ".env").write_text("SECRET=1")
    (extra / "more.txt").write_text("more")
    os.symlink(outside / "secret.txt", root / "link.txt")
    os.symlink(outside, root / "linkdir")
    os.symlink(root / "inside.txt", root / "alias.txt")  # stays inside: served
    args = ("--static-root", str(root), "--static-child", f"extra={extra}")
    with run_server(*args, "--no-access-log", tmp_path=tmp, uvicorn=True) as server:
        yield server, root


@pytest.mark.parametrize("mount", MOUNTS)
def test_links_out_of_the_root_are_404(roots: tuple[Server, Path], mount: str) -> None:
    server, _ = roots
    base = server.base(mount)
    for path in ["/static/link.txt", "/static/linkdir/secret.txt", "/static/linkdir/"]:
        reply = fetch(base + path)
        assert reply.status == 404, path
        assert b"outside the root" not in reply.body
    assert fetch(base + "/static/alias.txt").body == b"inside the root"
    assert fetch(base + "/static/extra/more.txt").body == b"more"


@pytest.mark.parametrize("mount", MOUNTS)
def test_dot_files_hidden_and_names_escaped(
    roots: tuple[Server, Path], mount: str
) -> None:
    server, root = roots
    prefix = "/asgi" if mount == "uvicorn" else f"/{mount}"
    assert fetch(server.base(mount) + "/static/.env").status == 404
    listing = fetch(server.base(mount) + "/static/")
    assert listing.text == listing_page(f"{prefix}/static/", list_directory(root))
    assert ".env" not in listing.text
    assert "&lt;b&gt;&amp;.txt" in listing.text and "<b>&" not in listing.text
