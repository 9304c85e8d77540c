"""WebSockets over HTTP/2 (RFC 8441) on every WebSocket mount, with a raw `h2` client
over TLS: the server announces SETTINGS_ENABLE_CONNECT_PROTOCOL, an extended CONNECT
gets 200 and an echo on its stream while other streams of the connection are
answered, permessage-deflate is agreed as on HTTP/1.1, the message limit (1009) and
the keep-alive pings (1011) apply, a close ends the stream, and a graceful stop says
1001 on every tunnel before its GOAWAY, as on HTTP/1.1. uvicorn has no
HTTP/2: hypercorn is the reference for the behaviour."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from h2.errors import ErrorCodes
from h2.events import ConnectionTerminated
from h2.settings import SettingCodes
from wsproto.events import BytesMessage, CloseConnection, TextMessage

from core.content import HELLO
from tests.servers import Certificates, Server, run_server
from tests.twisted_host.http.h2_ws_client import h2_connect, open_websocket

WS_MOUNTS = ["native", "asgi", "klein"]


def _path(server: Server, mount: str, page: str = "/ws") -> str:
    return urlsplit(server.base(mount)).path + page


@pytest.fixture(params=WS_MOUNTS)
def mount(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_server_offers_extended_connect(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_connect(https_server.url, certificates.client_context()) as client:
        assert client.settings[SettingCodes.ENABLE_CONNECT_PROTOCOL] == 1


def test_echo_on_a_stream_beside_plain_requests(
    https_server: Server, certificates: Certificates, mount: str
) -> None:
    with h2_connect(https_server.url, certificates.client_context()) as client:
        socket = open_websocket(client, _path(https_server, mount))
        assert socket.status == 200
        assert "sec-websocket-accept" not in socket.headers  # no key over HTTP/2
        socket.send(TextMessage("over h2"))
        assert socket.message() == "over h2"
        # The same connection serves a plain request while the WebSocket is open.
        hello = client.get(_path(https_server, mount, "/hello"))
        assert hello == (200, HELLO.encode())
        socket.send(BytesMessage(b"\x00bytes"))
        assert socket.message() == b"\x00bytes"
        socket.send(CloseConnection(1000, "bye"))
        closed = socket.next_event()
        assert isinstance(closed, CloseConnection) and closed.code == 1000
        gone = socket.next_event()  # the stream ends: the server ended its half
        assert isinstance(gone, CloseConnection) and gone.code == 1006
        assert socket.ended


def test_the_dashboard_counts_websockets_over_h2(
    https_server: Server, certificates: Certificates
) -> None:
    with h2_connect(https_server.url, certificates.client_context()) as client:
        sockets = [open_websocket(client, _path(https_server, m)) for m in WS_MOUNTS]
        for socket in sockets:  # each open on its mount by now
            socket.send(TextMessage("x"))
            assert socket.message() == "x"
        status, body = client.get("/stats")
        assert status == 200
        opened = json.loads(body)["open"]
        assert [opened[m]["websockets"] for m in WS_MOUNTS] == [1, 1, 1]


def test_compression_is_agreed_over_h2(
    https_server: Server, certificates: Certificates, mount: str
) -> None:
    offer = [
        ("sec-websocket-version", "13"),
        ("sec-websocket-extensions", "permessage-deflate; client_max_window_bits"),
    ]
    with h2_connect(https_server.url, certificates.client_context()) as client:
        socket = open_websocket(client, _path(https_server, mount), offer)
        assert socket.headers["sec-websocket-extensions"] == (
            "permessage-deflate; client_max_window_bits=15"
        )
        text = "compressed over h2 " * 2000
        socket.send(TextMessage(text))
        assert socket.message() == text


def test_the_message_limit_applies(
    https_server: Server, certificates: Certificates, mount: str
) -> None:
    with h2_connect(https_server.url, certificates.client_context()) as client:
        socket = open_websocket(client, _path(https_server, mount))
        socket.send(BytesMessage(b"x" * (1024 * 1024 + 1)))
        closed = socket.next_event()
        assert isinstance(closed, CloseConnection) and closed.code == 1009
        assert client.get("/native/hello")[0] == 200  # the connection lives on


def test_a_handshake_without_version_is_400(
    https_server: Server, certificates: Certificates, mount: str
) -> None:
    with h2_connect(https_server.url, certificates.client_context()) as client:
        socket = open_websocket(client, _path(https_server, mount), extra=[])
        assert socket.status == 400


def test_keepalive_pings_apply(tmp_path: Path, certificates: Certificates) -> None:
    args = ("--ws-ping-interval", "0.3", "--ws-ping-timeout", "0.3")
    with run_server(
        "--no-access-log",
        *args,
        *certificates.serve_args(),
        tmp_path=tmp_path,
        context=certificates.client_context(),
    ) as server:
        for mount in WS_MOUNTS:
            with h2_connect(server.url, certificates.client_context()) as client:
                socket = open_websocket(client, _path(server, mount))
                closed = socket.next_event(answer_pings=False)
                while not isinstance(closed, CloseConnection):
                    closed = socket.next_event(answer_pings=False)
                assert closed.code == 1011, mount


def test_graceful_stop_closes_every_tunnel_with_1001(
    tmp_path: Path, certificates: Certificates
) -> None:
    with run_server(
        "--no-access-log",
        *certificates.serve_args(),
        tmp_path=tmp_path,
        context=certificates.client_context(),
    ) as server:
        with h2_connect(server.url, certificates.client_context()) as client:
            sockets = [open_websocket(client, _path(server, m)) for m in WS_MOUNTS]
            for socket in sockets:
                socket.send(TextMessage("x"))
                assert socket.message() == "x"
            stopped_at = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            for mount, socket in zip(WS_MOUNTS, sockets, strict=True):
                closed = socket.next_event()
                assert isinstance(closed, CloseConnection), mount
                assert (closed.code, closed.reason) == (1001, "The server is stopping")
                assert isinstance(socket.next_event(), CloseConnection)  # the end
                assert socket.ended, mount  # END_STREAM, not a reset
            # Then the connection's end: a GOAWAY that says no error.
            events = client.pending
            while not any(isinstance(e, ConnectionTerminated) for e in events):
                events += client.read()
            goaway = next(e for e in events if isinstance(e, ConnectionTerminated))
            assert goaway.error_code == ErrorCodes.NO_ERROR
        assert server.process.wait(timeout=10) == 0
        assert time.monotonic() - stopped_at < 3  # not the 10 s grace period
    assert "Traceback" not in server.output()
