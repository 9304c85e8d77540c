"""permessage-deflate (RFC 7692) on every WebSocket mount, differential against
uvicorn (wsproto's extension, `--ws-per-message-deflate` on by default): negotiated
with the parameters the client asks for, used on the wire (the bytes are counted),
fragments, the close codes of bad compressed frames, and a bomb — a message that
inflates past `--ws-max-size` — refused with 1009 without being inflated whole."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from websockets.sync.client import connect as websockets_connect

from core.mounts import UVICORN
from tests.client import ws_url
from tests.servers import Server, run_server
from tests.twisted_host.http.ws_wire import (
    BINARY,
    CONTINUATION,
    PING,
    TEXT,
    connect,
    deflate,
    frame,
)

WS_MOUNTS = ["native", "asgi", "klein", UVICORN]
LIMIT = 1024 * 1024  # the session server's --ws-max-size
TEXT_MESSAGE = "twistbridge speaks permessage-deflate. " * 5000  # ~200 KB


def failed_with(mount: str, code: int) -> int:
    """What a client sees of a connection failed with `code`: a close frame with it
    (RFC 6455 section 7.1.7), but uvicorn just closes the socket (1006) when wsproto
    reports a bad frame."""
    return 1006 if mount == UVICORN else code


@pytest.fixture(params=WS_MOUNTS)
def ws_mount(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(server: Server, ws_mount: str) -> str:
    return ws_url(server.base(ws_mount)) + "/ws"


def test_negotiated_with_the_websockets_client(url: str) -> None:
    with websockets_connect(url, max_size=None) as socket:
        assert socket.response is not None
        offer = socket.response.headers["sec-websocket-extensions"]
        assert offer == "permessage-deflate; client_max_window_bits=15"
        socket.send(TEXT_MESSAGE)
        assert socket.recv(timeout=10) == TEXT_MESSAGE


def test_the_wire_carries_compressed_bytes(url: str) -> None:
    with connect(url) as client:
        assert client.status == 101
        client.send(frame(TEXT, deflate(TEXT_MESSAGE.encode()), rsv1=True))
        assert client.message() == TEXT_MESSAGE
        assert client.received < len(TEXT_MESSAGE) // 50  # compressed, not 200 KB


@pytest.mark.parametrize(
    ("offer", "answer"),
    [
        (
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover",
        ),
        (
            "permessage-deflate; client_max_window_bits=10; server_max_window_bits=9",
            "permessage-deflate; client_max_window_bits=10; server_max_window_bits=9",
        ),
        (
            "permessage-deflate; client_no_context_takeover",
            "permessage-deflate; client_no_context_takeover",
        ),
    ],
    ids=["server_no_context_takeover", "window-bits", "client_no_context_takeover"],
)
def test_parameters_are_honoured(url: str, offer: str, answer: str) -> None:
    bits = 10 if "client_max_window_bits=10" in offer else 15
    with connect(url, offer) as client:
        assert client.headers["sec-websocket-extensions"] == answer
        sizes = []
        for _ in range(2):  # the second echo: compressed against the first or not
            before = client.received
            client.send(frame(TEXT, deflate(b"takeover " * 40, bits), rsv1=True))
            assert client.message() == "takeover " * 40
            sizes.append(client.received - before)
    if "server_no_context_takeover" in offer:
        assert sizes[0] == sizes[1]  # each message compressed from a fresh window
    else:
        assert sizes[1] < sizes[0]  # the window remembers the first


def test_an_unparsable_offer_is_declined(
    url: str, ws_mount: str, server: Server
) -> None:
    if ws_mount == UVICORN:
        pytest.skip("uvicorn fails the handshake on it (wsproto raises ValueError)")
    with connect(url, "permessage-deflate; client_max_window_bits=x") as client:
        assert client.status == 101
        assert "sec-websocket-extensions" not in client.headers
        client.send(frame(TEXT, b"plain"))
        assert client.message() == "plain"
    assert "Traceback" not in server.output()


def test_a_fragmented_compressed_message(url: str, ws_mount: str) -> None:
    payload = deflate(TEXT_MESSAGE.encode())
    third = len(payload) // 3
    with connect(url) as client:
        # RFC 7692 section 6.1: RSV1 on the first frame only.
        client.send(frame(TEXT, payload[:third], fin=False, rsv1=True))
        client.send(frame(PING, b"between"))  # a control frame amid the fragments
        client.send(frame(CONTINUATION, payload[third : 2 * third], fin=False))
        client.send(frame(CONTINUATION, payload[2 * third :]))
        if ws_mount == UVICORN:
            # uvicorn is wrong here: wsproto's extension forgets at the ping that the
            # message is compressed, reads the rest as plain text and fails it.
            assert client.closed_with() == failed_with(ws_mount, 1007)
        else:
            assert client.message() == TEXT_MESSAGE


def test_uncompressed_messages_still_work(url: str) -> None:
    with connect(url) as client:
        client.send(frame(BINARY, b"\x00\x01raw"))
        assert client.message() == b"\x00\x01raw"


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([frame(TEXT, b"\xff\xff\xff\xff not deflate", rsv1=True)], 1007),
        ([frame(PING, b"", rsv1=True)], 1002),
        (
            [
                frame(TEXT, deflate(b"a"), fin=False, rsv1=True),
                frame(CONTINUATION, deflate(b"b"), rsv1=True),
            ],
            1002,
        ),
        ([frame(TEXT, deflate("é".encode("latin-1")), rsv1=True)], 1007),
    ],
    ids=["corrupt-deflate", "rsv1-on-ping", "rsv1-on-continuation", "bad-utf8"],
)
def test_bad_compressed_frames_fail_the_connection(
    url: str, ws_mount: str, frames: list[bytes], code: int
) -> None:
    with connect(url) as client:
        client.send(b"".join(frames))
        assert client.closed_with() == failed_with(ws_mount, code)


def test_a_1kib_bomb_does_not_pass_the_limit(url: str, ws_mount: str) -> None:
    bomb = deflate(b"\x00" * (LIMIT + 11_424))
    assert len(bomb) <= 1048  # 1 KiB of deflate, inflating past 1 MiB
    with connect(url) as client:
        client.send(frame(BINARY, bomb, rsv1=True))
        assert client.closed_with() == 1009
        if ws_mount != UVICORN:  # said as for an uncompressed message over the limit
            assert client.close_reason == f"Message over {LIMIT} bytes"
    with connect(url) as client:  # exactly the limit, compressed: echoed
        client.send(frame(BINARY, deflate(b"\x00" * LIMIT), rsv1=True))
        assert client.message() == b"\x00" * LIMIT


def test_a_fragmented_bomb_is_counted_across_frames(url: str) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    half = compressor.compress(b"\x00" * 600_000) + compressor.flush(zlib.Z_SYNC_FLUSH)
    rest = compressor.compress(b"\x00" * 600_000) + compressor.flush(zlib.Z_SYNC_FLUSH)
    with connect(url) as client:
        client.send(frame(BINARY, half, fin=False, rsv1=True))
        client.send(frame(CONTINUATION, rest[:-4]))
        assert client.closed_with() == 1009


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_large_bomb_is_never_inflated_whole(tmp_path: Path) -> None:
    # 256 MiB of zeros in 256 KiB of deflate: the server stops inflating at the limit.
    bomb = deflate(b"\x00" * (256 * 1024 * 1024))
    with run_server("--no-access-log", "--uvicorn-port", "0", tmp_path=tmp_path) as s:
        before = _rss_kib(s.process.pid)
        for mount in ("native", "asgi", "klein"):
            with connect(ws_url(s.base(mount)) + "/ws") as client:
                client.send(frame(BINARY, bomb, rsv1=True))
                assert client.closed_with() == 1009
        assert _rss_kib(s.process.pid) - before < 64 * 1024
        assert "Traceback" not in s.output()


def test_the_switch_turns_it_off(tmp_path: Path) -> None:
    args = ("--no-access-log", "--no-ws-per-message-deflate")
    with run_server(*args, tmp_path=tmp_path, uvicorn=True) as s:
        for mount in WS_MOUNTS:
            with connect(ws_url(s.base(mount)) + "/ws") as client:
                assert client.status == 101
                assert "sec-websocket-extensions" not in client.headers
                client.send(frame(TEXT, deflate(b"x"), rsv1=True))  # not agreed: 1002
                assert client.closed_with() == failed_with(mount, 1002), mount
