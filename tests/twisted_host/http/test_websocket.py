"""The WebSocket edge (`twisted_host.http.websocket`) on the native mount: a message
over the limit closes with 1009 and the server goes on, a GET that is no handshake
gets the contract's 400, the dashboard's count of requests hears of a WebSocket's
end, a graceful stop says goodbye with 1001 (the ASGI mount's too), and keep-alive
pings close a silent peer with 1011, as uvicorn's do."""

from __future__ import annotations

import json
import signal
import socket as socketlib
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.sync.client import connect

from core.content import error_page
from core.contract import HTML
from tests.client import fetch, ws_url
from tests.servers import Server, run_server
from tests.twisted_host.http.ws_wire import (
    BINARY,
    CLOSE,
    CONTINUATION,
    PING,
    TEXT,
    frame,
)
from tests.twisted_host.http.ws_wire import connect as wire_connect

WS_MOUNTS = ["native", "asgi", "klein"]  # the mounts that serve /ws

pytestmark = pytest.mark.long


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
        with pytest.raises(ConnectionClosedError):  # compressed: may end the send
            socket.send(iter([b"x" * 600_000, b"x" * 600_000]))  # 1 message, 2 frames
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


def test_graceful_stop_closes_with_1001(tmp_path: Path) -> None:
    # A WebSocket open on every mount that has them when the signal comes.
    with (
        run_server("--no-access-log", tmp_path=tmp_path) as s,
        ExitStack() as stack,
    ):
        sockets = {
            mount: stack.enter_context(connect(ws_url(s.base(mount)) + "/ws"))
            for mount in WS_MOUNTS
        }
        for socket in sockets.values():
            socket.send("x")
            socket.recv(timeout=10)
        stopped_at = time.monotonic()
        s.process.send_signal(signal.SIGTERM)
        for socket in sockets.values():
            with pytest.raises(ConnectionClosed):
                socket.recv(timeout=10)
        assert {m: socket.close_code for m, socket in sockets.items()} == dict.fromkeys(
            WS_MOUNTS, 1001
        )
        assert s.process.wait(timeout=10) == 0
        assert time.monotonic() - stopped_at < 3  # not the 10 s grace period
    assert "Traceback" not in s.output()


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of unmasked server frames with short payloads."""
    frames = []
    while len(data) >= 2:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        assert length < 126
        frames.append((opcode, data[2 : 2 + length]))
        data = data[2 + length :]
    return frames


@pytest.fixture(scope="module")
def pinging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    args = ("--no-access-log", "--ws-ping-interval", "0.3", "--ws-ping-timeout", "0.5")
    tmp = tmp_path_factory.mktemp("pinging")
    with run_server(*args, tmp_path=tmp, uvicorn=True) as s:
        yield s


@pytest.mark.parametrize("mount", [*WS_MOUNTS, "uvicorn"])
def test_keepalive_closes_a_silent_peer_with_1011(pinging: Server, mount: str) -> None:
    # A live client answers the pings and keeps its socket.
    with connect(ws_url(pinging.base(mount)) + "/ws") as socket:
        time.sleep(1.5)
        socket.send("still here")
        assert socket.recv(timeout=10) == "still here"
    # A peer that answers nothing gets a ping, then a close with 1011.
    host, port = pinging.base(mount).removeprefix("http://").split("/")[0].split(":")
    path = "/" + pinging.base(mount).split("/", 3)[3] + "/ws"
    handshake = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    with socketlib.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(handshake.encode())
        started, received = time.monotonic(), b""
        while chunk := raw.recv(4096):
            received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    frames = _frames(rest)
    assert frames[0][0] == 0x9  # a ping
    opcode, payload = frames[-1]
    assert (opcode, int.from_bytes(payload[:2], "big")) == (0x8, 1011)
    assert payload[2:] == b"keepalive ping timeout"
    assert time.monotonic() - started < 5


# What came before a bad frame is answered before the connection fails (Autobahn 3.x,
# 4.x and 5.15 strict): on /asgi too, where the app answers on the event loop after
# the bytes of both arrived in one read.
@pytest.mark.parametrize("mount", WS_MOUNTS)
@pytest.mark.parametrize(
    "bad",
    [
        [frame(3, b"reserved opcode")],
        [frame(CONTINUATION, b"no message to continue")],
        [
            frame(TEXT, b"frag", fin=False),
            frame(CONTINUATION, b"ment"),
            frame(CONTINUATION, b"!"),
        ],
    ],
    ids=["reserved-opcode", "stray-continuation", "continuation-after-fin"],
)
def test_messages_before_a_bad_frame_are_answered(
    server: Server, mount: str, bad: list[bytes]
) -> None:
    with wire_connect(ws_url(server.base(mount)) + "/ws", offer=None) as client:
        client.send(b"".join([frame(TEXT, b"first"), *bad, frame(PING, b"p")]))
        assert client.message() == "first"
        if len(bad) > 1:
            assert client.message() == "fragment"
        assert client.closed_with() == 1002


# Each length of RFC 6455 section 5.2's three forms, at its edges: the server writes
# an uncompressed message's frame header itself (`WireProtocol._write_message`).
LENGTHS = [0, 125, 126, 65535, 65536, 1000 * 1000]


@pytest.mark.parametrize("mount", [*WS_MOUNTS, "uvicorn"])  # the reference too
def test_every_length_form_echoes_as_sent(server: Server, mount: str) -> None:
    with wire_connect(ws_url(server.base(mount)) + "/ws", offer=None) as client:
        for size in LENGTHS:
            text, data = "é" * (size // 2) + "a" * (size % 2), bytes(range(256))
            data = (data * (size // 256 + 1))[:size]
            client.send(frame(TEXT, text.encode()) + frame(BINARY, data))
            assert client.message() == text, size
            assert client.message() == data, size
        client.send(frame(CLOSE, (1000).to_bytes(2, "big")))
        assert client.closed_with() == 1000


@pytest.mark.parametrize("mount", WS_MOUNTS)
def test_a_non_ascii_offer_opens_without_a_traceback(
    server: Server, mount: str
) -> None:
    # wsproto's handshake decodes the offers as ASCII and raised on a byte over
    # 0x7f (a 500 and a traceback); RFC 9110 allows such bytes in a field value.
    url = urlsplit(server.base(mount))
    with socketlib.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            f"GET {url.path}/ws HTTP/1.1\r\nHost: {url.netloc}\r\n".encode()
            + b"Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
            + b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: caf\xe9\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            assert chunk, head
            head += chunk
        assert head.startswith(b"HTTP/1.1 101 ")
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head
    assert "Traceback" not in server.output()


def _handshake_status(server: Server, mount: str, fields: list[bytes]) -> int:
    url = urlsplit(server.base(mount))
    with socketlib.create_connection((url.hostname, url.port), timeout=10) as sock:
        head = f"GET {url.path}/ws HTTP/1.1\r\nHost: {url.netloc}\r\n".encode()
        sock.sendall(head + b"".join(f + b"\r\n" for f in fields) + b"\r\n")
        answer = sock.recv(65536)
    return int(answer.split(b" ", 2)[1])


VALID = [
    b"Upgrade: websocket",
    b"Connection: Upgrade",
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    b"Sec-WebSocket-Version: 13",
]


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        pytest.param(VALID, 101, id="valid"),
        pytest.param(VALID[:2] + VALID[3:], 400, id="no-key"),
        pytest.param([*VALID[:3], b"Sec-WebSocket-Version: 12"], 400, id="version-12"),
        pytest.param(VALID[:3], 400, id="no-version"),
        pytest.param(
            [VALID[0], b"Connection: keep-alive", *VALID[2:]],
            400,
            id="no-upgrade-token",
        ),
        pytest.param([b"Upgrade: websocketx", *VALID[1:]], 400, id="other-upgrade"),
        # As wsproto reads them: where a header comes twice, the last counts.
        pytest.param([*VALID, b"Sec-WebSocket-Version: 12"], 400, id="last-version-12"),
        pytest.param(
            [*VALID[:3], b"Sec-WebSocket-Version: 12", VALID[3]],
            101,
            id="last-version-13",
        ),
    ],
)
@pytest.mark.parametrize("mount", ["native", "klein"])
def test_the_handshake_is_checked_as_wsproto_checks_it(
    server: Server, mount: str, fields: list[bytes], status: int
) -> None:
    assert _handshake_status(server, mount, fields) == status
