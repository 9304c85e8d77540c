"""Real third-party apps on the bridges, differential: a FastAPI app, a Django project
through its ASGI and its WSGI handler, and a Flask app under `wsgiref.validate`
(`tests/apps/`), hosted by `twistbridge serve --asgi/--wsgi` on either lane and by
uvicorn or gunicorn, get identical requests; the answers must be the same (status, the headers
that matter, the body, a stream's first byte at once), and nothing leaves a traceback
in the bridge's log but the apps' own errors. Where a reference is itself wrong,
or the bridge differs on purpose, the test says so.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from functools import partial
from urllib.parse import urlsplit

import pytest

from tests.apps.common import EVENTS, GREETING, LINES, PAUSE, SAMPLE, event, line
from tests.apps.differential import (
    APPS,
    Pair,
    ask,
    clean_log,
    prefix,
    reference_argv,
    reference_base,
    reference_env,
    serve_args,
    timed,
)
from tests.apps.raw_http import (
    address,
    closed_within,
    dechunk,
    path_of,
    read_response,
    responses,
    until_closed,
)
from tests.client import exchange
from tests.servers import Server, StartedOnce, reference, run_server

# Five apps and their references on two lanes: among the longest modules, so first.
pytestmark = pytest.mark.long

UPLOAD = bytes(range(256)) * (3 * 4096)  # 3 MiB


# Both lanes (docs/LANES.md): the bridges answer without a `twisted.web` Request
# (direct), or through one (resource): the apps must not tell them apart.
LANES = {"direct": [], "resource": ["--no-direct-lane"]}


@pytest.fixture(scope="module", params=list(LANES))
def ours(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    lane = str(request.param)
    tmp = tmp_path_factory.mktemp(f"twistbridge-{lane}")
    with run_server(*serve_args(), *LANES[lane], tmp_path=tmp) as server:
        yield server


def _reference(
    factory: pytest.TempPathFactory, name: str
) -> AbstractContextManager[Server]:
    argv, env = reference_argv(name), reference_env(name)
    probe = urlsplit(reference_base(name, "")).path + "/json"
    return reference(argv, tmp_path=factory.mktemp(name), probe=probe, env=env)


@pytest.fixture(scope="module")
def references(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StartedOnce]:
    """Each reference started once for the module: it serves both lanes' tests."""
    with ExitStack() as stack:
        yield StartedOnce(stack, partial(_reference, tmp_path_factory))


@pytest.fixture(scope="module", params=list(APPS))
def pair(request: pytest.FixtureRequest, ours: Server, references: StartedOnce) -> Pair:
    name = str(request.param)
    theirs = reference_base(name, references.get(name).url)
    return Pair(name, APPS[name][0], ours.url + prefix(name), theirs, ours)


def same(pair: Pair, method: str = "GET", path: str = "", **kwargs: object) -> None:
    """Both answer `method path` alike, and the bridge logs no traceback."""
    with clean_log(pair.server):
        ours = ask(pair.ours + path, method, **kwargs)
    theirs = ask(pair.theirs + path, method, **kwargs)
    assert ours == theirs


# --- requests -------------------------------------------------------------------------


def test_json_get(pair: Pair) -> None:
    same(pair, "GET", "/json")
    assert json.loads(ask(pair.ours + "/json").body) == GREETING


def test_json_post(pair: Pair) -> None:
    same(pair, "POST", "/json", json={"a": [1, 2, {"b": "ü"}]})


def test_form(pair: Pair) -> None:
    same(pair, "POST", "/form", data={"name": "Ada", "quote": "a&b=c ü"})


def test_multipart_form(pair: Pair) -> None:
    same(pair, "POST", "/form", files={"name": (None, "Ada")})


def test_upload(pair: Pair) -> None:
    same(pair, "POST", "/upload", content=UPLOAD)
    assert json.loads(ask(pair.ours + "/upload", "POST", content=UPLOAD).body) == {
        "length": len(UPLOAD),
        "sha256": hashlib.sha256(UPLOAD).hexdigest(),
    }


def test_upload_50_mib(pair: Pair) -> None:
    # The body the bridges' streaming work bounds in memory: here, that it arrives.
    body = UPLOAD * 17  # 51 MiB
    with clean_log(pair.server):
        ours = ask(pair.ours + "/upload", "POST", content=body)
    assert ours == ask(pair.theirs + "/upload", "POST", content=body)
    assert json.loads(ours.body)["length"] == len(body)


def test_chunked_upload(pair: Pair) -> None:
    def pieces() -> Iterator[bytes]:  # no length: httpx sends it chunked
        for start in range(0, len(UPLOAD), 100_000):
            yield UPLOAD[start : start + 100_000]

    with clean_log(pair.server):
        ours = ask(pair.ours + "/upload", "POST", content=pieces())
    theirs = ask(pair.theirs + "/upload", "POST", content=pieces())
    # Django's WSGI handler reads CONTENT_LENGTH bytes and ignores
    # wsgi.input_terminated: a chunked body is empty to it, under gunicorn as here.
    whole = 0 if pair.name == "django-wsgi" else len(UPLOAD)
    assert json.loads(theirs.body)["length"] == whole
    assert ours == theirs


def test_head(pair: Pair) -> None:
    same(pair, "HEAD", "/json")
    assert ask(pair.ours + "/json", "HEAD").body == b""


# --- what the app is given -----------------------------------------------------------

# PEP 3333's and CGI's variables; the rest of an environ is the server's own
# (gunicorn's RAW_URI, Twisted's REMOTE_PORT), and SERVER_PORT is a port of each.
# SERVER_NAME is left out too: RFC 3875 §4.1.14 makes it the host part of the URL the
# client asked for (the bridge gives the Host header's), where gunicorn gives the
# address it listens on: the reference is wrong there.
CGI = (
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE",
    "CONTENT_LENGTH", "SERVER_PROTOCOL", "REMOTE_ADDR", "wsgi.version",
    "wsgi.url_scheme", "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
)  # fmt: skip


def _given(pair: Pair, base: str, method: str) -> dict[str, object]:
    headers = {"Host": "example.test", "X-A": "1", "X-B": "2"}
    body = {}
    if method == "POST":
        body = {"content": b'{"a": 1}'}
        headers["Content-Type"] = "application/json"
    url = base + "/seen?x=1&y=%20&caf%C3%A9"
    reply = ask(url, method, headers=headers, **body)
    assert reply.status == 200, reply.body
    given: dict[str, object] = json.loads(reply.body)
    if pair.interface == "wsgi":
        # PEP 3333: CONTENT_TYPE and CONTENT_LENGTH "may be empty or absent".
        return {
            k: v
            for k, v in given.items()
            if (k in CGI or k.startswith("HTTP_")) and v != ""
        }
    client, server = given.pop("client"), given.pop("server")
    given["client host"] = client[0]  # type: ignore[index]
    given["server host"] = server[0]  # type: ignore[index]
    # Which revision of the spec a server implements is its own to say (the bridge
    # 2.4: ClientDisconnected from send(); uvicorn 2.3).
    given["asgi"] = {"version": given["asgi"]["version"]}  # type: ignore[index]
    return given


def test_what_a_get_is_given(pair: Pair) -> None:
    # The environ as gunicorn builds it, the scope as uvicorn does.
    with clean_log(pair.server):
        ours = _given(pair, pair.ours, "GET")
    assert ours == _given(pair, pair.theirs, "GET")


def test_what_a_post_is_given(pair: Pair) -> None:
    with clean_log(pair.server):
        ours = _given(pair, pair.ours, "POST")
    assert ours == _given(pair, pair.theirs, "POST")


# --- responses ------------------------------------------------------------------------


def test_stream_first_byte(pair: Pair) -> None:
    # LINES lines PAUSE s apart: the first must come at once, not with the last.
    with clean_log(pair.server):
        ours, theirs = pair.at_once(lambda base: timed(base + "/stream"))
    expected = b"".join(line(i) for i in range(LINES))
    assert theirs.streamed
    assert (theirs.status, theirs.body, theirs.complete) == (200, expected, True)
    assert (ours.status, ours.headers, ours.complete) == (200, theirs.headers, True)
    assert ours.body == expected
    assert ours.streamed


def test_sse(pair: Pair) -> None:
    with clean_log(pair.server):
        ours, theirs = pair.at_once(lambda base: timed(base + "/sse"))
    assert theirs.headers["content-type"].startswith("text/event-stream")
    assert theirs.headers["cache-control"] == "no-cache"
    assert ours.headers == theirs.headers
    assert ours.body == theirs.body == b"".join(map(event, range(EVENTS)))
    assert theirs.streamed
    assert ours.streamed


def test_file(pair: Pair) -> None:
    same(pair, "GET", "/file")
    assert ask(pair.ours + "/file").body == SAMPLE.read_bytes()


@pytest.mark.parametrize(
    "ranges", ["bytes=10-19", "bytes=-5", "bytes=19990-", "bytes=99999-"]
)
def test_file_ranges(pair: Pair, ranges: str) -> None:
    # Django's FileResponse serves no ranges: 200 and the whole file from both.
    same(pair, "GET", "/file", headers={"Range": ranges})


def test_not_found(pair: Pair) -> None:
    same(pair, "GET", "/no/such/thing")


# --- errors ---------------------------------------------------------------------------


def test_error_before_response(pair: Pair) -> None:
    if pair.name == "fastapi":
        # Starlette raises the error on to the server, which logs it, as uvicorn does.
        ours = ask(pair.ours + "/error")
    else:
        with clean_log(pair.server):  # Django and Flask answer their own errors
            ours = ask(pair.ours + "/error")
    theirs = ask(pair.theirs + "/error")
    assert theirs.status == 500
    assert ours == theirs


def test_error_mid_stream(pair: Pair) -> None:
    # The lines before the failure go out; then the connection is cut (no last chunk).
    ours = timed(pair.ours + "/error-mid-stream")
    theirs = timed(pair.theirs + "/error-mid-stream")
    assert (theirs.status, theirs.complete) == (200, False)
    assert (ours.status, ours.complete) == (200, False)
    assert ours.body == theirs.body == line(0) + line(1)


def test_error_after_complete(pair: Pair) -> None:
    # FastAPI's error middleware sends its 500 and then raises again: uvicorn logs it
    # and closes the connection; so must the bridge, with nothing else in its log.
    if pair.name != "fastapi":
        pytest.skip("Django and Flask answer their own errors and raise nothing after")
    before = len(pair.server.output())
    assert _closes_after_error(pair.ours) == _closes_after_error(pair.theirs)
    written = pair.server.output()[before:]
    assert "never retrieved" not in written and "AttributeError" not in written


def _closes_after_error(base: str) -> bool:
    with socket.create_connection(address(base), timeout=5) as sock:
        sock.sendall(f"GET {path_of(base)}/error HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        assert read_response(sock).startswith(b"HTTP/1.1 500 ")
        return closed_within(sock, 2.0)  # uvicorn closes at once


# --- the connection -------------------------------------------------------------------


def test_pipelining(pair: Pair) -> None:
    answers = []
    for base in pair.bases():
        path = path_of(base)
        raw = (
            f"GET {path}/json HTTP/1.1\r\nHost: t\r\n\r\n"
            f"POST {path}/json HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            f"Content-Length: 8\r\n\r\n[1, 2.5]"
            f"GET {path}/json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        with clean_log(pair.server):
            reply = exchange(base, raw.encode())
        answers.append([(s, json.loads(b)) for s, b in responses(reply)])
    assert answers[0] == answers[1]
    assert [json for _, json in answers[0]] == [GREETING, [1, 2.5], GREETING]


def test_expect_100_continue(pair: Pair) -> None:
    body = json.dumps({"continued": True}).encode()
    answers = []
    for base in pair.bases():
        head = (
            f"POST {path_of(base)}/json HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        with socket.create_connection(address(base), timeout=5) as sock:
            sock.sendall(head.encode())
            interim = sock.recv(65536)  # nothing comes until the 100: a timeout
            assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), interim
            sock.sendall(body)
            answers.append(responses(until_closed(sock, interim[25:]))[-1])
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and json.loads(answers[0][1]) == {"continued": True}


def test_http10_stream(pair: Pair) -> None:
    # RFC 9112 §6.1: no chunked coding to an HTTP/1.0 client; the body ends with the
    # connection. uvicorn gets this wrong (it answers HTTP/1.0 with chunked coding,
    # which such a client cannot read): the bridge is held to the RFC, and to the
    # reference's content.

    def get(base: str) -> tuple[bool, bytes]:
        raw = f"GET {path_of(base)}/stream HTTP/1.0\r\n\r\n".encode()
        head, _, body = exchange(base, raw).partition(b"\r\n\r\n")
        chunked = b"transfer-encoding: chunked" in head.lower()
        return chunked, dechunk(body) if chunked else body

    (chunked, mine), (_, reference) = pair.at_once(get)
    assert not chunked
    assert mine == reference == b"".join(line(i) for i in range(LINES))


def test_disconnect_mid_request(pair: Pair) -> None:
    # A client that promised a body and left halfway: no traceback, still serving.
    with clean_log(pair.server):
        with socket.create_connection(address(pair.ours), timeout=5) as sock:
            sock.sendall(
                f"POST {path_of(pair.ours)}/upload HTTP/1.1\r\nHost: t\r\n"
                "Content-Length: 100000\r\n\r\n".encode()
                + UPLOAD[:1000]
            )
            time.sleep(0.2)
        assert ask(pair.ours + "/json").status == 200


def test_disconnect_mid_response(pair: Pair) -> None:
    with clean_log(pair.server):
        with socket.create_connection(address(pair.ours), timeout=5) as sock:
            sock.sendall(
                f"GET {path_of(pair.ours)}/stream HTTP/1.1\r\nHost: t\r\n\r\n".encode()
            )
            time.sleep(PAUSE * 2)
        time.sleep(PAUSE * 3)
        assert ask(pair.ours + "/json").status == 200


def test_app_starts_before_the_body_ends(pair: Pair) -> None:
    if pair.name != "fastapi":
        pytest.skip("WSGI apps and Django's ASGI handler read the whole body first")
    # Half a body, then a pause: under uvicorn the app has the first piece and has
    # answered before the rest is sent.
    half = len(UPLOAD) // 2
    for base in pair.bases():
        head = (
            f"POST {path_of(base)}/first-piece HTTP/1.1\r\nHost: t\r\n"
            f"Content-Length: {len(UPLOAD)}\r\n\r\n"
        )
        with socket.create_connection(address(base), timeout=2) as sock:
            sock.sendall(head.encode() + UPLOAD[:half])
            try:
                answer = read_response(sock)
            except TimeoutError:
                answer = b"nothing before the rest of the body"
            assert answer.startswith(b"HTTP/1.1 200 "), (base, answer)
