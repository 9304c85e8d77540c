"""Redirects stay on the origin: a path with an empty segment ("//native/...") is 404
on every mount before any app sees it (it made the calendar's Location
"//native/calendar/2026", which a browser reads as the host "native"), and no
Location the server writes is scheme-relative or names another host, whatever the
target's bytes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from core.content import NOT_FOUND
from core.mounts import UVICORN
from tests.client import exchange, parse
from tests.conftest import MOUNTS
from tests.servers import Server

SITE_MOUNTS = [mount for mount in MOUNTS if mount != UVICORN]

# "{m}" is the mount's prefix without its slash: "native", "wsgi", "asgi".
EMPTY_SEGMENTS = [
    "//{m}/calendar/now",
    "///{m}/calendar/now",
    "//{m}/echo",
    "/{m}//calendar/now",
    "/{m}/calendar//now",
    "//{m}/static/images",
    "///{m}/static/images",
    "/{m}/static//images",
    "/{m}//static/images/",
    "//{m}/",
    "//{m}/hello?x=1",
]

# Every redirect of the contract, and near-misses of it, with odd queries and bytes.
REDIRECTING = [
    "/{m}/calendar/now",
    "/{m}/calendar/now?next=//evil.example",
    "/{m}/static/images",
    "/{m}/static/images?//evil.example",
    "/{m}/static/images?\xa0",
    "/{m}/static/images?\x80=\xb0",
    "/{m}/static/images?%C0%AF",
    "/{m}/static/im%61ges",
    "/{m}/static/images/..%2f..%2fimages",
    "/{m}/static/images/%2e%2e",
    "/{m}/static/%5cevil.example",
    "/{m}/calendar",
    "/{m}/static",
    "//evil.example/{m}/calendar/now",
    "/\\evil.example/{m}/calendar/now",
]


def _get(server: Server, mount: str, target: str) -> tuple[int, str | None, bytes]:
    url = server.uvicorn_url if mount == UVICORN else server.url
    assert url is not None
    prefix = "asgi" if mount == UVICORN else mount
    raw = (
        f"GET {target.format(m=prefix)} HTTP/1.1\r\nHost: origin.test\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1")
    reply = parse(exchange(url, raw))
    return reply.status, reply.header("location"), reply.body


@pytest.mark.parametrize("mount", SITE_MOUNTS)
@pytest.mark.parametrize("target", EMPTY_SEGMENTS)
def test_an_empty_segment_is_404(server: Server, mount: str, target: str) -> None:
    status, location, body = _get(server, mount, target)
    assert (status, location) == (404, None)
    assert body.decode() == NOT_FOUND


@pytest.mark.parametrize("target", ["//asgi/calendar/now", "/asgi//calendar/now"])
def test_uvicorn_answers_an_empty_segment_with_404_too(
    server: Server, target: str
) -> None:
    assert _get(server, UVICORN, target)[0] == 404


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("target", REDIRECTING + EMPTY_SEGMENTS)
def test_every_location_stays_on_the_origin(
    server: Server, mount: str, target: str
) -> None:
    status, location, _ = _get(server, mount, target)
    assert status < 500
    if location is None:
        return
    assert 300 <= status < 400
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        assert (parts.scheme, parts.netloc) == ("http", "origin.test"), location
    else:
        assert location.startswith("/"), location
        # "//host" and "/\host" are read by browsers as another host.
        assert location[1:2] not in ("/", "\\"), location


@pytest.mark.parametrize("mount", MOUNTS)
def test_the_calendar_redirect_names_its_mount(server: Server, mount: str) -> None:
    status, location, _ = _get(server, mount, "/{m}/calendar/now")
    assert status == 302
    prefix = "asgi" if mount == UVICORN else mount
    assert location is not None
    assert urlsplit(location).path.startswith(f"/{prefix}/calendar/")


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("query", ["%A0", "%C0%AF", "a=%FF&b=/"])
def test_a_folder_redirect_keeps_its_query(
    server: Server, mount: str, query: str
) -> None:
    status, location, _ = _get(server, mount, "/{m}/static/images?" + query)
    prefix = "asgi" if mount == UVICORN else mount
    assert (status, location) == (302, f"/{prefix}/static/images/?{query}")
