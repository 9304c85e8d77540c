"""The WebSocket edge (`twisted_host.http.websocket`) on the native mount: a message
over the limit closes with 1009 and the server goes on, a GET that is no handshake
gets the contract's 400, the dashboard's count of requests hears of a WebSocket's
end, and a graceful stop says goodbye with 1001 (the ASGI mount's too)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.sync.client import connect

from core.content import error_page
from core.contract import HTML
from tests.client import fetch, ws_url
from tests.servers import Server, run_server


def test_message_over_the_limit_closes_1009(server: Server) -> None:
    url = ws_url(server.base("native")) + "/ws"
    with connect(url, max_size=None) as socket:
        socket.send("x" * (1024 * 1024))  # exactly the limit: echoed
        assert len(socket.recv(timeout=10)) == 1024 * 1024
        socket.send(b"x" * (1024 * 1024 + 1))
        with pytest.raises(ConnectionClosedError):
            socket.recv(timeout=10)
        assert socket.close_code == 1009
    with connect(url) as socket:  # and the next client is served
        socket.send("again")
        assert socket.recv(timeout=10) == "again"


def test_fragments_count_towards_the_limit(server: Server) -> None:
    with connect(ws_url(server.base("native")) + "/ws", max_size=None) as socket:
        socket.send(iter([b"x" * 600_000, b"x" * 600_000]))  # one message, 2 frames
        with pytest.raises(ConnectionClosedError):
            socket.recv(timeout=10)
        assert socket.close_code == 1009


def test_plain_get_is_a_400(server: Server) -> None:
    reply = fetch(server.base("native") + "/ws")
    assert (reply.status, reply.header("content-type")) == (400, HTML)
    detail = "This is a WebSocket: connect with an Upgrade: websocket request."
    assert reply.text == error_page(400, detail)
    assert fetch(server.base("native") + "/ws", "POST", body=b"").status == 405


def _in_flight(server: Server) -> int:
    stats = json.loads(fetch(server.url + "/stats").body)
    return int(stats["mounts"]["native"]["in_flight"])


def test_a_closed_websocket_is_no_longer_counted(server: Server) -> None:
    with connect(ws_url(server.base("native")) + "/ws") as socket:
        socket.send("x")
        socket.recv(timeout=10)
        assert _in_flight(server) == 1  # an open WebSocket is a request in flight
    deadline = time.monotonic() + 5
    while _in_flight(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _in_flight(server) == 0


@pytest.mark.parametrize("mount", ["native", "asgi"])
def test_graceful_stop_closes_with_1001(tmp_path: Path, mount: str) -> None:
    with run_server("--no-access-log", "--uvicorn-port", "0", tmp_path=tmp_path) as s:
        with connect(ws_url(s.base(mount)) + "/ws") as socket:
            socket.send("x")
            socket.recv(timeout=10)
            stopped_at = time.monotonic()
            s.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed):
                socket.recv(timeout=10)
            assert socket.close_code == 1001
        assert s.process.wait(timeout=10) == 0
        assert time.monotonic() - stopped_at < 3  # not the 10 s grace period
    assert "Traceback" not in s.output()
