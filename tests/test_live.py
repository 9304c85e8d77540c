"""The two features whose connection stays open, over real connections on every
mount: the WebSocket echo (`ws`, with the `websockets` client) and the server-sent
clock (`events`, with httpx)."""

from __future__ import annotations

import itertools
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from core.content import NO_WEBSOCKET, error_page, time_event
from core.contract import HTML
from core.live import MAX_COUNT
from tests.client import fetch, read_events, ws_url

WEBSOCKET_MOUNTS = ["native", "asgi", "klein", "uvicorn"]


@pytest.mark.parametrize("mount", WEBSOCKET_MOUNTS, indirect=True)
def test_ws_echoes_text_and_bytes(base: str) -> None:
    with connect(ws_url(base) + "/ws") as socket:
        for message in ["hello", "héllo ✓", "", "x" * 100_000]:
            socket.send(message)
            assert socket.recv(timeout=10) == message
        for data in [b"\x00\xff", b"", bytes(range(256)) * 400]:
            socket.send(data)
            assert socket.recv(timeout=10) == data


@pytest.mark.parametrize("mount", WEBSOCKET_MOUNTS, indirect=True)
def test_ws_keeps_order_of_many_messages(base: str) -> None:
    with connect(ws_url(base) + "/ws") as socket:
        for n in range(200):
            socket.send(str(n))
        assert [socket.recv(timeout=10) for _ in range(200)] == [
            str(n) for n in range(200)
        ]


@pytest.mark.parametrize("mount", ["wsgi"], indirect=True)
def test_wsgi_cannot_serve_a_websocket(base: str) -> None:
    reply = fetch(base + "/ws")
    assert (reply.status, reply.header("content-type"), reply.text) == (
        501,
        HTML,
        NO_WEBSOCKET,
    )
    assert 'href="/compare/ws"' in reply.text
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(base) + "/ws")
    assert refused.value.response.status_code == 501


def test_events_three_a_second_apart(base: str) -> None:
    events = read_events(base + "/events?count=3")
    assert len(events) == 3
    times = [at for at, _ in events]
    assert times[0] < 0.5  # the first at once
    for earlier, later in itertools.pairwise(times):
        assert 0.7 < later - earlier < 1.5
    for _, event in events:
        prefix = "data: The local time is "
        assert event.startswith(prefix) and event.endswith("\n\n")
        stamp = time.mktime(
            time.strptime(event[len(prefix) : -2], "%a %b %d %H:%M:%S %Y")
        )
        assert abs(stamp - time.time()) < 5
        assert len(event) == len(time_event())


@pytest.mark.parametrize(
    "count", ["0", "-1", "x", "", "1.5", str(MAX_COUNT + 1), "9" * 50]
)
def test_events_bad_count(base: str, count: str) -> None:
    reply = fetch(f"{base}/events?count={count}")
    assert (reply.status, reply.header("content-type")) == (400, HTML)
    assert reply.text == error_page(
        400, f"count must be a whole number from 1 to {MAX_COUNT}"
    )
