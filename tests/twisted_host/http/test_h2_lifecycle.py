"""HTTP/2 connections are the Site's like HTTP/1.1 ones: a SIGTERM lets a request in
flight on one finish (then a GOAWAY, no error, and the door), an idle one is closed after `--idle-timeout` (but not while a stream is being
answered), and the dashboard counts an event stream on one. The `h2` library is the
client, so that each frame the server sends is seen."""

from __future__ import annotations

import signal
import ssl
import time
from pathlib import Path
from typing import Any

import h2.connection
import h2.events
import httpx
from h2.errors import ErrorCodes

from tests.servers import Certificates, run_server
from tests.twisted_host.http.h2_raw import ending, h2_client, request


def _answer(
    tls: ssl.SSLSocket, conn: h2.connection.H2Connection, stream: int
) -> tuple[int, bytes, str | None]:
    """Read until `stream` ends: its status, its body, and a GOAWAY read with its
    end ("goaway <code>", as `ending` tells it), if any."""
    status, body, goaway, ended = 0, b"", None, False
    while not ended:
        for event in conn.receive_data(tls.recv(65536)):
            if isinstance(event, h2.events.ResponseReceived):
                status = int(dict(event.headers)[b":status"])
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream)
            elif isinstance(event, h2.events.StreamEnded):
                ended = True
            elif isinstance(event, h2.events.ConnectionTerminated):
                goaway = f"goaway {ErrorCodes(event.error_code).name}"
        tls.sendall(conn.data_to_send())
    return status, body, goaway


def _serve(tmp_path: Path, certificates: Certificates, *args: str) -> Any:
    return run_server(
        "--no-access-log",
        *("--uvicorn-port", "0"),  # no uvicorn: HTTP/2 is the Site's
        *certificates.serve_args(),
        *args,
        tmp_path=tmp_path,
        context=certificates.client_context(),
    )


def test_sigterm_lets_an_h2_request_finish(
    tmp_path: Path, certificates: Certificates
) -> None:
    with (
        _serve(tmp_path, certificates) as server,
        h2_client(server, certificates) as (tls, conn),
    ):
        conn.send_headers(1, request("/native/busy?seconds=1"), end_stream=True)
        tls.sendall(conn.data_to_send())
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        status, body, goaway = _answer(tls, conn, 1)
        assert status == 200
        assert body.decode().startswith("Finally done, at ")
        assert (goaway or ending(tls, conn)) == "goaway NO_ERROR"
        assert server.process.wait(timeout=20) == 0
    assert "Traceback" not in server.output()


def test_idle_h2_connection_is_closed(
    tmp_path: Path, certificates: Certificates
) -> None:
    with (
        _serve(tmp_path, certificates, "--idle-timeout", "0.5") as server,
        h2_client(server, certificates) as (tls, conn),
    ):
        # A stream answered over more than the idle timeout is not cut...
        conn.send_headers(1, request("/native/busy?seconds=1"), end_stream=True)
        tls.sendall(conn.data_to_send())
        assert _answer(tls, conn, 1)[:3:2] == (200, None)
        # ...then, with no stream open, the connection goes.
        idle_since = time.monotonic()
        assert ending(tls, conn) == "goaway NO_ERROR"
        assert 0.4 < time.monotonic() - idle_since < 5
    assert "Traceback" not in server.output()


def test_stalled_h2_upload_is_closed(
    tmp_path: Path, certificates: Certificates
) -> None:
    # A request whose body never ends holds no answer: idle, as on HTTP/1.1.
    with (
        _serve(tmp_path, certificates, "--idle-timeout", "0.5") as server,
        h2_client(server, certificates) as (tls, conn),
    ):
        conn.send_headers(1, request("/native/echo"))
        conn.send_data(1, b"the start of a body")
        tls.sendall(conn.data_to_send())
        assert ending(tls, conn) == "goaway NO_ERROR"
    assert "Traceback" not in server.output()


def test_dashboard_counts_an_h2_event_stream(
    tmp_path: Path, certificates: Certificates
) -> None:
    with (
        _serve(tmp_path, certificates) as server,
        h2_client(server, certificates) as (tls, conn),
        httpx.Client(http2=True, verify=certificates.client_context()) as client,
    ):
        conn.send_headers(1, request("/native/events?count=5"), end_stream=True)
        tls.sendall(conn.data_to_send())
        conn.receive_data(tls.recv(65536))  # the answer has begun
        document = client.get(server.url + "/stats").json()
        assert document["open"]["native"]["event_streams"] == 1
    assert "Traceback" not in server.output()
