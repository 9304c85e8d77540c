"""The bridge's `websocket` scope, differential: every case runs against the bridge
and against uvicorn (wsproto, the same 1 MiB limit) serving the same app, with the
`websockets` client, and asserts the same observable behaviour: raw ASGI apps for
each message of the spec, and a real FastAPI app."""

from __future__ import annotations

import json
import socket as sockets
import struct
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.client import fetch, ws_url
from tests.servers import PASSWORD, Certificates, Server, spawn
from tests.twisted_host.bridges.websocket_apps import FLOOD_MESSAGES, FLOOD_SIZE
from tests.twisted_host.http.ws_wire import BINARY, TEXT, frame
from tests.twisted_host.http.ws_wire import connect as wire_connect
from twisted_host.bridges.asgi_websocket import HOLD_SECONDS

HOST = [sys.executable, "-m", "tests.twisted_host.bridges.asgi_host"]
TARGETS = ["bridge", "uvicorn"]


def _serve(
    request: pytest.FixtureRequest, factory: pytest.TempPathFactory, app: str
) -> Iterator[Server]:
    tmp = factory.mktemp(f"{request.param}-{app}")
    with spawn([*HOST, request.param, app], tmp_path=tmp) as server:
        yield server


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    yield from _serve(request, tmp_path_factory, "conformance")


@pytest.fixture(scope="module", params=TARGETS)
def tls_target(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    certificates: Certificates,
) -> Iterator[Server]:
    tls = f"{certificates.certfile}:{certificates.keyfile}:{PASSWORD}"
    tmp = tmp_path_factory.mktemp(f"{request.param}-tls")
    argv = [*HOST, request.param, "conformance"]
    with spawn(argv, tmp_path=tmp, env={"ASGI_HOST_TLS": tls}) as server:
        yield server


@pytest.fixture(scope="module", params=TARGETS)
def fastapi(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    yield from _serve(request, tmp_path_factory, "fastapi")


def ws(server: Server, path: str, **kwargs: Any) -> ClientConnection:
    return connect(ws_url(server.url) + "/bridge" + path, **kwargs)


def events(server: Server) -> list[str]:
    return json.loads(fetch(f"{server.url}/bridge/events").body)  # type: ignore[no-any-return]


@contextmanager
def expect_event(server: Server, event: str, timeout: float = 5) -> Iterator[None]:
    """The block makes the app record `event` once more (within `timeout`)."""
    before = events(server).count(event)
    yield
    deadline = time.monotonic() + timeout
    while events(server).count(event) == before:
        assert time.monotonic() < deadline, f"{event!r} not in {events(server)}"
        time.sleep(0.05)


def is_bridge(server: Server) -> bool:
    return "bridge" in list(server.process.args)  # type: ignore[arg-type]


def vanish(socket: ClientConnection) -> None:
    """End the TCP connection with a reset, no close frame: a client gone."""
    linger = struct.pack("ii", 1, 0)
    socket.socket.setsockopt(sockets.SOL_SOCKET, sockets.SO_LINGER, linger)
    socket.socket.close()


# RFC 6455 7.1.5: a connection that ends without a close frame is 1006; uvicorn's
# wsproto stack reports 1005 ("no status") once the handshake is done.
def vanished_code(server: Server) -> int:
    return 1006 if is_bridge(server) else 1005


def closed(socket: ClientConnection) -> ConnectionClosed:
    with pytest.raises(ConnectionClosed) as info:
        socket.recv(timeout=10)
    return info.value


# --- over TLS ------------------------------------------------------------------------


def test_schemes_over_tls(tls_target: Server, certificates: Certificates) -> None:
    context = certificates.client_context()
    assert tls_target.url.startswith("https://")
    url = ws_url(tls_target.url) + "/bridge/ws/scope"
    # The raw client: websockets' sync client, when a handshake went unanswered, hung
    # joining its reader thread (blocked in an SSL read) until pytest's timeout.
    with wire_connect(url, offer=None, context=context) as socket:
        assert socket.status == 101
        assert json.loads(socket.message())["scheme"] == "wss"
    reply = fetch(tls_target.url + "/bridge/scope", context=context)
    assert json.loads(reply.body)["scheme"] == "https"


# --- the handshake ---------------------------------------------------------------------


def test_scope(target: Server) -> None:
    with ws(target, "/ws/scope?x=1&y=%20", subprotocols=["a", "b"]) as socket:  # type: ignore[list-item]
        seen = json.loads(socket.recv(timeout=10))
    port = target.url.rsplit(":", 1)[1].rstrip("/")
    assert seen == {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": "/bridge/ws/scope",
        "root_path": "/bridge",
        "raw_path": "/bridge/ws/scope",
        "query_string": "x=1&y=%20",
        "subprotocols": ["a", "b"],
        "headers": seen["headers"],
        "client_host": "127.0.0.1",
        "server_host": "127.0.0.1",
        "extensions": ["websocket.http.response"],
    }
    names = [name for name, _ in seen["headers"]]
    assert names[:1] == ["host"] and seen["headers"][0][1] == f"127.0.0.1:{port}"
    for name in ("upgrade", "connection", "sec-websocket-key", "sec-websocket-version"):
        assert name in names
    # The spec lists the headers as received; uvicorn's wsproto stack drops the ones
    # wsproto consumed (the offered subprotocols are in `subprotocols` still).
    offered = ["sec-websocket-protocol", "a, b"]
    assert (offered in seen["headers"]) == is_bridge(target)


def test_accept_with_subprotocol_and_headers(target: Server) -> None:
    with ws(target, "/ws/echo", subprotocols=["chat", "superchat"]) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == "chat"
        assert socket.response is not None
        assert socket.response.headers["x-accepted-by"] == "the app"


def test_close_before_accept_is_403(target: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws(target, "/ws/reject")
    assert refused.value.response.status_code == 403


def test_denial_response(target: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws(target, "/ws/deny")
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == b"go away"


def test_app_failing_before_accept_is_500(target: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws(target, "/ws/raise-before")
    assert refused.value.response.status_code == 500
    assert refused.value.response.body == b"Internal Server Error"
    assert fetch(f"{target.url}/bridge/scope").status == 200  # still serving


def test_app_failing_after_accept_drops_the_connection(target: Server) -> None:
    with ws(target, "/ws/raise-after") as socket:
        assert closed(socket).rcvd is None  # no close frame: 1006 for the client


# --- messages and closes ---------------------------------------------------------------


def test_echo_text_and_bytes(target: Server) -> None:
    with ws(target, "/ws/echo") as socket:
        for message in ["hi", "héllo ✓", "", "x" * 500_000]:
            socket.send(message)
            assert socket.recv(timeout=10) == message
        for data in [b"\x00", b"", bytes(range(256)) * 1000]:
            socket.send(data)
            assert socket.recv(timeout=10) == data


def test_app_closes_with_code_and_reason(target: Server) -> None:
    with ws(target, "/ws/close") as socket:
        socket.send("close please")
        gone = closed(socket)
    assert gone.rcvd is not None
    assert (gone.rcvd.code, gone.rcvd.reason) == (4000, "bye")


@pytest.mark.parametrize("code", [1000, 1001, 4001])
def test_app_hears_the_clients_close_code(target: Server, code: int) -> None:
    with expect_event(target, f"disconnect {code}"), ws(target, "/ws/wait") as socket:
        socket.close(code, "leaving")


def test_app_hears_a_vanished_client(target: Server) -> None:
    event = f"disconnect {vanished_code(target)}"
    with expect_event(target, event), ws(target, "/ws/wait") as socket:
        vanish(socket)


def test_message_over_the_limit_closes_1009(target: Server) -> None:
    with (
        expect_event(target, "disconnect 1009"),
        ws(target, "/ws/wait", max_size=None) as socket,
    ):
        socket.send(b"x" * (1024 * 1024 + 1))
        gone = closed(socket)
    assert gone.rcvd is not None and gone.rcvd.code == 1009


def test_send_waits_for_a_slow_reader(target: Server) -> None:
    # Uncompressed: 64 KiB of "x" deflates to a few bytes, and fills no buffer.
    with ws(target, "/ws/flood", max_size=None, compression=None) as socket:
        socket.send("go")
        time.sleep(1.0)  # reading nothing
        (sent,) = events(target)
        if is_bridge(target):
            assert int(sent.split()[1]) < FLOOD_MESSAGES // 4  # the app was held back
        # uvicorn 0.54's wsproto stack let the app send all 2000 (128 MiB) here.
        received = sum(len(socket.recv(timeout=10)) for _ in range(FLOOD_MESSAGES))
        assert received == FLOOD_MESSAGES * FLOOD_SIZE


# --- a real FastAPI app -----------------------------------------------------------------


def test_fastapi_conversation(fastapi: Server) -> None:
    with ws(fastapi, "/chat/lobby?token=secret") as socket:
        assert json.loads(socket.recv(timeout=10)) == {"joined": "lobby"}
        for text in ["hello", "wörld"]:
            socket.send(text)
            assert json.loads(socket.recv(timeout=10)) == {
                "room": "lobby",
                "echo": text.upper(),
            }
        socket.send("bye")
        gone = closed(socket)
    assert gone.rcvd is not None
    assert (gone.rcvd.code, gone.rcvd.reason) == (4001, "see you")


def test_fastapi_refusal_is_403(fastapi: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws(fastapi, "/chat/lobby?token=wrong")
    assert refused.value.response.status_code == 403


def test_fastapi_unknown_path_is_403(fastapi: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        ws(fastapi, "/nowhere")
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("how", ["close 4002", "vanish"])
def test_fastapi_hears_the_client_leave(fastapi: Server, how: str) -> None:
    code = vanished_code(fastapi) if how == "vanish" else 4002
    with (
        expect_event(fastapi, f"fastapi disconnect {code}"),
        ws(fastapi, "/chat/hall?token=secret") as socket,
    ):
        socket.recv(timeout=10)
        if how == "vanish":
            vanish(socket)
        else:
            socket.close(code)


def test_a_bad_frame_waits_no_longer_than_the_hold(target: Server) -> None:
    # The bridge lets its app answer the messages before a bad frame, but an app that
    # never comes back for more does not keep a failed connection open.
    url = ws_url(target.url) + "/bridge/ws/stall"
    with wire_connect(url, offer=None) as client:
        started = time.monotonic()
        client.send(frame(TEXT, b"first") + frame(3, b"reserved opcode"))
        code = client.closed_with(timeout=20)
        waited = time.monotonic() - started
    if is_bridge(target):
        assert code == 1002 and HOLD_SECONDS - 1 < waited < HOLD_SECONDS + 5
    else:  # uvicorn fails it at once, without a close frame
        assert code == 1006 and waited < HOLD_SECONDS


def test_reading_stops_while_messages_wait_for_the_app(target: Server) -> None:
    # The app takes one message and no more: the server stops reading, so that a
    # client's flood stays in the socket buffers, not in the server's memory.
    url = ws_url(target.url) + "/bridge/ws/stall"
    message = frame(BINARY, b"x" * 65536)
    sent = 0
    with wire_connect(url, offer=None) as client:
        client.sock.settimeout(3)
        with pytest.raises(TimeoutError):
            while sent < 256 * 1024 * 1024:
                client.sock.sendall(message)
                sent += len(message)
    assert sent < 64 * 1024 * 1024  # what the kernel's buffers hold, no more
