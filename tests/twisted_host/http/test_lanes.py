"""Which lane serves a request (`twisted_host.http.lanes`), as a learner sees it with
`--show-lane`: the bridges' mounts on the direct lane under the C parser, everything
else (and everything under Twisted's parser) on the resource lane; the two lanes
mixed on one keep-alive connection answer in order; `/stats` counts both."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client import exchange, fetch
from tests.servers import PARSERS, Server, run_server

MOUNTS = ["asgi", "wsgi", "native", "klein"]
DIRECT = {"asgi", "wsgi"}  # the bridges: the direct lane, on httptools


def lane_of(parser: str, mount: str) -> str:
    return "direct" if parser == "httptools" and mount in DIRECT else "resource"


@pytest.fixture(scope="module", params=PARSERS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Path, str]]:
    tmp = tmp_path_factory.mktemp(f"lanes-{request.param}")
    log = tmp / "access.log"
    args = ("--show-lane", "--http", request.param, "--uvicorn-port", "0")
    with run_server(*args, "--access-log-file", str(log), tmp_path=tmp) as server:
        yield server, log, request.param


def logged(log: Path, marker: str, timeout: float = 5.0) -> str:
    """The access log line holding `marker` (the log is written once a second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists():
            for line in log.read_text().splitlines():
                if marker in line:
                    return line
        time.sleep(0.1)
    raise AssertionError(f"no access log line with {marker!r}")


@pytest.mark.parametrize("mount", MOUNTS)
def test_the_lane_is_in_a_header_and_the_access_log(
    site: tuple[Server, Path, str], mount: str
) -> None:
    server, log, parser = site
    marker = f"/{mount}/hello?lane-{parser}"
    reply = fetch(server.url + marker)
    lane = lane_of(parser, mount)
    assert (reply.status, reply.header("x-twistbridge-lane")) == (200, lane)
    line = logged(log, marker)
    assert f'"GET {marker} HTTP/1.1" 200 13 ' in line
    assert line.endswith(f" lane={lane}")


def test_lanes_mixed_on_one_connection_answer_in_order(
    site: tuple[Server, Path, str],
) -> None:
    server, _, parser = site
    raw = (
        b"GET /asgi/hello HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /native/hello HTTP/1.1\r\nHost: x\r\n\r\n"
        # A body the app does not read: the next request still starts after it.
        b"POST /asgi/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        b"GET /wsgi/hello HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /asgi/hello HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /klein/hello HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /wsgi/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    answer = exchange(server.url, raw)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answer) == [b"200"] * 7
    lanes = re.findall(rb"X-Twistbridge-Lane: (\w+)", answer)
    mounts = ["asgi", "native", "asgi", "wsgi", "asgi", "klein", "wsgi"]
    assert lanes == [lane_of(parser, m).encode() for m in mounts]
    # HEAD has its headers and no body: the Klein answer follows them directly.
    assert answer.count(b"Hello, world!") == 4  # asgi, native, wsgi, klein
    # The echoes in their places: the first answer's third, the last's last.
    answers = answer.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert b"POST /asgi/echo HTTP/1.1" in answers[2]
    assert b"GET /wsgi/echo HTTP/1.1" in answers[6]


def test_stats_count_requests_on_both_lanes(site: tuple[Server, Path, str]) -> None:
    server, _, _ = site

    def counts() -> dict[str, int]:
        stats = json.loads(fetch(server.url + "/stats").body)
        return {m: int(stats["mounts"][m]["requests"]) for m in MOUNTS}

    before = counts()
    for mount in MOUNTS:
        for _ in range(3):
            assert fetch(f"{server.url}/{mount}/hello").status == 200
    after = counts()
    assert {m: after[m] - before[m] for m in MOUNTS} == dict.fromkeys(MOUNTS, 3)
