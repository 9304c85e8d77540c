"""The contract's static features (4-3 static, 4-4 static-dispatch), over real HTTP,
on every mount and uvicorn: files with their headers, conditional and range requests,
listings, folder redirects, dispatch to further folders, and nothing served from
outside the roots whatever the spelling of the path."""

from __future__ import annotations

import email.utils

import pytest

from core.content import redirect_page
from core.contract import HTML
from core.settings import SAMPLE
from core.static import content_type, list_directory, listing_page
from tests.client import exchange, fetch, parse

WWW = SAMPLE / "www"


@pytest.mark.parametrize(
    "name",
    ["hello.txt", "page.html", "style.css", "images/logo.svg", "images/noise.bin"],
)
def test_static_file(base: str, name: str) -> None:
    path = WWW / name
    reply = fetch(f"{base}/static/{name}")
    assert reply.status == 200
    assert reply.body == path.read_bytes()
    assert reply.header("content-type") == content_type(name)
    assert reply.header("content-length") == str(path.stat().st_size)
    modified = email.utils.parsedate_to_datetime(reply.header("last-modified") or "")
    # Twisted rounds the modification time up to the second, Werkzeug and Starlette down.
    assert abs(modified.timestamp() - path.stat().st_mtime) < 1


def test_static_not_modified(base: str) -> None:
    first = fetch(f"{base}/static/hello.txt")
    since = first.header("last-modified") or ""
    reply = fetch(f"{base}/static/hello.txt", headers={"If-Modified-Since": since})
    assert (reply.status, reply.body) == (304, b"")


def test_static_range(base: str) -> None:
    data = (WWW / "images/noise.bin").read_bytes()
    reply = fetch(f"{base}/static/images/noise.bin", headers={"Range": "bytes=100-299"})
    assert reply.status == 206
    assert reply.body == data[100:300]
    assert reply.header("content-range") == f"bytes 100-299/{len(data)}"
    assert reply.header("content-length") == "200"


@pytest.mark.parametrize(
    ("path", "folder"),
    [("/static/", WWW), ("/static/images/", WWW / "images")]
    + [(f"/static/{name}/", SAMPLE / name) for name in ("doc", "logs")],
)
def test_static_listing(base: str, prefix: str, path: str, folder: object) -> None:
    reply = fetch(base + path)
    assert (reply.status, reply.header("content-type")) == (200, HTML)
    assert reply.text == listing_page(prefix + path, list_directory(folder))  # type: ignore[arg-type]
    assert ".hidden" not in reply.text


@pytest.mark.parametrize("path", ["/static", "/static/images", "/static/doc"])
def test_static_folder_redirects_to_slash(base: str, prefix: str, path: str) -> None:
    reply = fetch(base + path)
    url = f"{prefix}{path}/"
    assert (reply.status, reply.header("location")) == (302, url)
    assert reply.text == redirect_page(url)


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        ("/static/doc/README.txt", SAMPLE / "doc"),
        ("/static/logs/access.log", SAMPLE / "logs"),
    ],
)
def test_static_dispatch(base: str, path: str, folder: object) -> None:
    reply = fetch(base + path)
    assert reply.status == 200
    assert reply.body == (folder / path.rsplit("/", 1)[1]).read_bytes()  # type: ignore[operator]


TRAVERSALS = [
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e%2f%2e%2e%2fsettings.py",
    "/static/..%5c..%5csettings.py",
    "/static/hello.txt%00.html",
    "/static/%00",
    "/static/doc/../../settings.py",
    "/static/doc/%2e%2e/%2e%2e/contract.py",
    "/static/.hidden",
    "/static/%2ehidden",
    "/static//etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_static_never_leaves_the_root(base: str, prefix: str, path: str) -> None:
    raw = f"GET {prefix}{path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    reply = parse(exchange(base, raw.encode()))
    assert reply.status in (400, 404)
    assert b"root:" not in reply.body
    assert b"must never be served" not in reply.body
    assert b"FEATURES" not in reply.body and b"Settings" not in reply.body
    assert b"Traceback" not in reply.body
