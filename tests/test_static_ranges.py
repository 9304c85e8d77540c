"""`Range` on static files (RFC 9110 section 14), on every mount and uvicorn: a suffix
longer than the file is the whole file (206), a range past the end 416, a header that
is no range-set 400, never a 500. Twisted answered the first with a 500 and Werkzeug
with a 416; uvicorn (Starlette) is the reference, except where noted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.mounts import UVICORN
from tests.client import exchange, parse
from tests.conftest import MOUNTS
from tests.servers import Server, run_server

DATA = bytes(range(48, 90))  # 42 bytes, as in the report
SIZE = len(DATA)
WHOLE = f"bytes 0-{SIZE - 1}/{SIZE}"

# Range value: (status, Content-Range of a 206, or None)
AGREED: dict[bytes, tuple[int, str | None]] = {
    b"bytes=-43": (206, WHOLE),  # a suffix one byte longer than the file
    b"bytes=-99999999999999999999": (206, WHOLE),  # past a C long
    b"bytes=-42": (206, WHOLE),
    b"bytes=-2": (206, f"bytes 40-41/{SIZE}"),
    b"bytes=0-": (206, WHOLE),
    b"bytes=1-2": (206, f"bytes 1-2/{SIZE}"),
    b"bytes=1-99999": (206, f"bytes 1-41/{SIZE}"),
    b"BYTES = 01-02 ,": (206, f"bytes 1-2/{SIZE}"),  # case, spaces, empty elements
    b"bytes=41-": (206, f"bytes 41-41/{SIZE}"),
    b"bytes=42-": (416, None),
    b"bytes=-0": (416, None),
    b"bytes=\xa0": (400, None),
    b"bytes=\xc0-1": (400, None),
    b"bytes=" + b" " * 20: (400, None),
    b"bytes=": (400, None),
    b"bytes=-": (400, None),
    b"bytes=5-1": (400, None),
    b"bytes=abc": (400, None),
}

# Where core's rule (native, wsgi) answers otherwise than Starlette's (asgi, on the
# Site and on uvicorn), and why: (core, Starlette).
DIFFERENT: dict[bytes, tuple[int, int]] = {
    # RFC 9110 section 14.2: a server MUST ignore a range unit it does not know;
    # Starlette answers 400.
    b"items=0-1": (200, 400),
    # Several ranges: the whole file once (no amplification, as nginx's
    # max_ranges 1); Starlette merges overlapping ranges into one.
    b"bytes=0-0,0-0": (200, 206),
    # Several ranges are not read one by one (there may be thousands): the whole
    # file, though one of them is backwards; Starlette answers 400.
    b"bytes=0-0,5-1": (200, 400),
    # Not a range-set; Starlette serves the part it can read.
    b"bytes=0-0,x": (400, 206),
    # Not a range-spec: Starlette reads "-1" as a suffix length and answers 416.
    b"bytes=--1": (400, 416),
    # A suffix past int()'s 4300 digits: Starlette fails to read it (400).
    b"bytes=-" + b"9" * 5000: (206, 400),
}


@pytest.fixture(scope="module")
def ranges(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ranges")
    root = tmp / "root"
    root.mkdir()
    (root / "file.bin").write_bytes(DATA)
    with run_server(
        "--static-root", str(root), "--no-access-log", tmp_path=tmp, uvicorn=True
    ) as s:
        yield s
    assert "Traceback" not in s.output()


def _get(server: Server, mount: str, value: bytes) -> tuple[int, str | None, bytes]:
    base = server.base(mount)
    host, _, path = base.removeprefix("http://").partition("/")
    raw = (
        b"GET /%s/static/file.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\nRange: %s\r\n\r\n"
        % (path.encode(), value)
    )
    reply = parse(exchange(f"http://{host}", raw))
    return reply.status, reply.header("content-range"), reply.body


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize(
    "value", AGREED, ids=[v[:30].decode("latin-1") for v in AGREED]
)
def test_range(ranges: Server, mount: str, value: bytes) -> None:
    status, content_range = AGREED[value]
    got_status, got_range, body = _get(ranges, mount, value)
    assert got_status == status
    if status == 206:
        assert got_range == content_range
        first, last = (content_range or "").split(" ")[1].split("/")[0].split("-")
        assert body == DATA[int(first) : int(last) + 1]


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("value", DIFFERENT, ids=[v[:30].decode() for v in DIFFERENT])
def test_range_where_uvicorn_differs(ranges: Server, mount: str, value: bytes) -> None:
    core, starlette = DIFFERENT[value]
    status, _, body = _get(ranges, mount, value)
    assert status == (starlette if mount in ("asgi", UVICORN) else core)
    if status == 200:
        assert body == DATA


def test_a_suffix_of_an_empty_file_is_the_whole_of_it(tmp_path: Path) -> None:
    # RFC 9110 section 14.1.1: a suffix-range of non-zero length is satisfiable.
    (tmp_path / "empty.bin").write_bytes(b"")
    with run_server(
        "--static-root", str(tmp_path), tmp_path=tmp_path, uvicorn=True
    ) as server:
        for mount in MOUNTS:
            url = server.base(mount)
            host, _, path = url.removeprefix("http://").partition("/")
            raw = (
                b"GET /%s/static/empty.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Range: bytes=-5\r\n\r\n" % path.encode()
            )
            # Starlette answers 416, as if no byte of the file could satisfy it.
            expected = 416 if mount in ("asgi", UVICORN) else 200
            assert parse(exchange(f"http://{host}", raw)).status == expected, mount
