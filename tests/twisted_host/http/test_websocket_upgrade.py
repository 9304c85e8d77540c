"""An Upgrade request reaches the resource tree as a `Request` whose channel hands
the connection to Twisted's own WebSocket (`twisted.web.websocket`), on both parsers;
an Upgrade to a plain resource is answered as plain HTTP, and the connection goes on.
The client is wsproto over a real socket."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Event, TextMessage
from wsproto.events import Request as Handshake

from tests.client import parse
from tests.servers import Server, spawn

HOST = [sys.executable, "-m", "tests.twisted_host.http.ws_host"]


@pytest.fixture(scope="module")
def ws_server(
    tmp_path_factory: pytest.TempPathFactory, parser: str
) -> Iterator[Server]:
    with spawn([*HOST, parser], tmp_path=tmp_path_factory.mktemp("ws")) as server:
        yield server
    assert "Traceback" not in server.output()


def _connect(server: Server) -> socket.socket:
    port = urlsplit(server.url).port
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _events(sock: socket.socket, ws: WSConnection, until: type[Event]) -> list[Event]:
    seen: list[Event] = []
    while not any(isinstance(event, until) for event in seen):
        data = sock.recv(65536)
        ws.receive_data(data or None)
        seen += list(ws.events())
        if not data:
            break
    return seen


def test_upgrade_hands_the_connection_over(ws_server: Server) -> None:
    ws = WSConnection(ConnectionType.CLIENT)
    with _connect(ws_server) as sock:
        sock.sendall(ws.send(Handshake(host="127.0.0.1", target="/ws")))
        assert any(
            isinstance(e, AcceptConnection) for e in _events(sock, ws, AcceptConnection)
        )
        for text in ("hello", "again"):
            sock.sendall(ws.send(TextMessage(data=text)))
            replies = _events(sock, ws, TextMessage)
            assert [e.data for e in replies if isinstance(e, TextMessage)] == [
                f"echo: {text}"
            ]
        sock.sendall(ws.send(CloseConnection(code=1000)))
        assert any(
            isinstance(e, CloseConnection) for e in _events(sock, ws, CloseConnection)
        )


def test_message_right_behind_the_handshake(ws_server: Server, parser: str) -> None:
    if parser == "twisted":
        pytest.skip("Twisted's parser drops bytes that arrive with the handshake")
    ws = WSConnection(ConnectionType.CLIENT)
    payload, key = b"early", b"\x01\x02\x03\x04"
    # A masked text frame (RFC 6455 section 5.2): wsproto frames only once accepted.
    frame = bytes([0x81, 0x80 | len(payload)]) + key
    frame += bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))
    with _connect(ws_server) as sock:
        sock.sendall(ws.send(Handshake(host="127.0.0.1", target="/ws")) + frame)
        events = _events(sock, ws, TextMessage)
    assert isinstance(events[0], AcceptConnection)
    assert [e.data for e in events if isinstance(e, TextMessage)] == ["echo: early"]


def test_upgrade_to_a_plain_resource_is_plain_http(ws_server: Server) -> None:
    raw = (
        b"GET /plain HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade"
        b"\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    with _connect(ws_server) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    first, _, second = answer.partition(b"plain page")
    assert parse(first + b"plain page").status == 200
    assert parse(second).status == 200
    assert parse(second).body == b"plain page"
