"""bench.ws_raw, the raw-socket client of `python -m bench.ws_speed`, against the
session server and uvicorn beside it: every socket opened, every echo read back as
the "ping" sent, the closing handshake answered and the connections ended by the
server; a page that is not a WebSocket refused at the handshake."""

from __future__ import annotations

import pytest

from bench import ws_raw
from tests.servers import Server

WS_TARGETS = ["native", "asgi", "klein", "uvicorn"]


@pytest.mark.parametrize("target", WS_TARGETS)
def test_a_round_of_echoes_on_every_socket(server: Server, target: str) -> None:
    sockets = ws_raw.open_many("ws" + server.base(target)[4:] + "/ws", 30, wave=7)
    try:
        for _ in range(2):
            latencies = ws_raw.echo_round(sockets, timeout=10)
            assert len(latencies) == 30
            assert latencies == sorted(latencies) and latencies[0] > 0
    finally:
        ws_raw.close_many(sockets)  # a TimeoutError if one were left open
    assert all(s.fileno() == -1 for s in sockets)


def test_a_page_that_is_not_a_websocket(server: Server) -> None:
    with pytest.raises(ws_raw.HandshakeError, match=r"^HTTP/1\.1 200 "):
        ws_raw.open_many("ws" + server.base("native")[4:] + "/hello", 3)
