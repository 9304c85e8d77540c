"""Behind a proxy, differential against uvicorn: the same requests with the same
X-Forwarded-For / X-Forwarded-Proto, from a trusted peer (127.0.0.1, the default of
both) and from an untrusted one (127.0.0.2), give every mount of ours the client and
scheme uvicorn gives its app; the access log says the same. RFC 7239 `Forwarded`,
which uvicorn ignores, is checked against what the RFC says."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.client import PLAIN_HTTP
from tests.servers import Server, reference, run_server

ECHO_ASGI = "tests.apps.echo:asgi"
ECHO_WSGI = "tests.apps.echo:wsgi"
UVICORN = [sys.executable, "-m", "uvicorn", ECHO_ASGI, "--port", "{port}", "--lifespan", "off"]  # fmt: skip
TRUSTED, UNTRUSTED = "127.0.0.1", "127.0.0.2"

CASES = [
    {},
    {"X-Forwarded-For": "1.2.3.4"},
    {"X-Forwarded-For": "1.2.3.4, 127.0.0.1"},  # the last hop a trusted proxy
    {"X-Forwarded-For": "1.2.3.4, 5.6.7.8"},  # the nearest untrusted hop
    {"X-Forwarded-For": "127.0.0.1, ::1"},  # all trusted: the leftmost
    {"X-Forwarded-For": "[2001:db8::1]:4711"},
    {"X-Forwarded-For": "9.9.9.9:1234"},
    {"X-Forwarded-For": "9.9.9.9:x, [::2]:y, 8.8.8.8:"},  # ports that are none
    {"X-Forwarded-For": ""},
    {"X-Forwarded-For": "not an address"},
    {"X-Forwarded-Proto": "https"},
    {"X-Forwarded-Proto": "https, http"},  # a list: neither believes it
    {"X-Forwarded-Proto": "HTTPS"},  # uvicorn: case matters
    {"X-Forwarded-Proto": "ftp"},
    {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"},
]


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("ours")
    args = ["--asgi", f"/a={ECHO_ASGI}", "--wsgi", f"/w={ECHO_WSGI}"]
    log = ["--access-log-file", str(tmp / "access.log"), "--uvicorn-port", "0"]
    with run_server(*args, *log, tmp_path=tmp) as server:
        yield server


@pytest.fixture(scope="module")
def theirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with reference(UVICORN, tmp_path=tmp_path_factory.mktemp("uvicorn")) as server:
        yield server


def seen(url: str, headers: dict[str, str], source: str) -> dict[str, object]:
    transport = httpx.HTTPTransport(local_address=source, verify=PLAIN_HTTP)
    with httpx.Client(transport=transport) as client:
        reply = client.get(url, headers=headers)
    assert reply.status_code == 200, reply.text
    answer = json.loads(reply.content)
    seen = {"client": answer["client"], "scheme": answer["scheme"]}
    if answer["client"] != source:  # a forwarded client: its port is the header's
        seen["port"] = answer["port"]
    return seen


@pytest.mark.parametrize("source", [TRUSTED, UNTRUSTED])
@pytest.mark.parametrize("headers", CASES, ids=lambda h: repr(h) or "none")
def test_same_client_and_scheme_as_uvicorn(
    ours: Server, theirs: Server, headers: dict[str, str], source: str
) -> None:
    expected = seen(theirs.url + "/x", headers, source)
    if source == UNTRUSTED:
        assert expected == {"client": UNTRUSTED, "scheme": "http"}
    assert seen(ours.url + "/a/x", headers, source) == expected
    assert seen(ours.url + "/w/x", headers, source) == expected


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("for=1.2.3.4", ("1.2.3.4", "http")),
        ("for=1.2.3.4;proto=https", ("1.2.3.4", "https")),
        ('For="[2001:db8:cafe::17]:4711"', ("2001:db8:cafe::17", "http")),
        ("for=1.2.3.4:8080;proto=http", ("1.2.3.4", "http")),
        ("for=1.2.3.4, for=5.6.7.8;proto=https", ("5.6.7.8", "https")),
        ("for=1.2.3.4, for=127.0.0.1", ("1.2.3.4", "http")),
        ('for=1.2.3.4;by="a,b;c", for=5.6.7.8', ("5.6.7.8", "http")),
        ("for=1.2.3.4;for=6.6.6.6, for=5.6.7.8", ("1.2.3.4", "http")),  # repeated
        ("proto=https", (TRUSTED, "https")),
        ("garbage", (TRUSTED, "http")),
    ],
)
def test_rfc_7239_forwarded(
    ours: Server, forwarded: str, expected: tuple[str, str]
) -> None:
    for path in ("/a/x", "/w/x"):
        answer = seen(ours.url + path, {"Forwarded": forwarded}, TRUSTED)
        assert (answer["client"], answer["scheme"]) == expected
        untrusted = seen(ours.url + path, {"Forwarded": forwarded}, UNTRUSTED)
        assert untrusted == {"client": UNTRUSTED, "scheme": "http"}


def test_x_forwarded_wins_over_forwarded(ours: Server) -> None:
    headers = {"Forwarded": "for=5.6.7.8;proto=https", "X-Forwarded-For": "1.2.3.4"}
    assert seen(ours.url + "/a/x", headers, TRUSTED) == {
        "client": "1.2.3.4",
        "port": 0,
        "scheme": "http",
    }


def test_huge_headers_are_read_in_one_pass(ours: Server) -> None:
    # Near the header block limit, made of what a backtracking parser chokes on.
    headers = {
        "X-Forwarded-For": ", " * 7000 + "1.2.3.4",
        "Forwarded": 'for="' + "\\\\" * 3000 + ";" * 3000,
    }
    assert seen(ours.url + "/a/x", headers, TRUSTED)["client"] == "1.2.3.4"
    del headers["X-Forwarded-For"]
    assert seen(ours.url + "/a/x", headers, TRUSTED)["client"] == TRUSTED


def test_access_log_and_native_mount(ours: Server, tmp_path: Path) -> None:
    for source in (TRUSTED, UNTRUSTED):
        transport = httpx.HTTPTransport(local_address=source, verify=PLAIN_HTTP)
        with httpx.Client(transport=transport) as client:
            reply = client.get(
                ours.base("native") + "/hello?" + source,
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
            assert reply.status_code == 200
    log = ours.log.parent / "access.log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "?127.0.0.2" not in _read(log):
        time.sleep(0.1)
    lines = {line.split('"')[3].split()[1]: line for line in _read(log).splitlines()}
    assert lines[f"/native/hello?{TRUSTED}"].startswith('"203.0.113.9" ')
    assert lines[f"/native/hello?{UNTRUSTED}"].startswith(f'"{UNTRUSTED}" ')


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@pytest.mark.parametrize(
    "flags", [["--forwarded-allow-ips", "127.0.0.2,10.0.0.0/8"], ["--no-proxy-headers"]]
)
def test_flags_as_uvicorn_takes_them(flags: list[str], tmp_path: Path) -> None:
    headers = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
    ours = run_server(
        "--no-demo", "--asgi", f"/a={ECHO_ASGI}", *flags, tmp_path=tmp_path
    )
    with ours as server, reference([*UVICORN, *flags], tmp_path=tmp_path) as uvicorn:
        for source in (TRUSTED, UNTRUSTED):
            expected = seen(uvicorn.url + "/x", headers, source)
            assert seen(server.url + "/a/x", headers, source) == expected
        if "--no-proxy-headers" not in flags:
            assert seen(server.url + "/a/x", headers, UNTRUSTED)["client"] == "1.2.3.4"
