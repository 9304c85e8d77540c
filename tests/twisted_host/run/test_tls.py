"""HTTPS with uvicorn's flags, certificates made by trustme: every mount and uvicorn
answer over TLS (httpx, `wss` with a raw WebSocket client), an encrypted key opens
with its password, nothing older than TLS 1.2 is spoken, and bad files are a clear
error rather than a traceback."""

from __future__ import annotations

import socket
import ssl
import struct
import subprocess
import threading
import time
import warnings

import httpx
import pytest

from core.content import HELLO
from core.mounts import TARGETS
from tests.client import fetch, read_events, ws_url
from tests.servers import TWISTBRIDGE, Certificates, Server, run_server
from tests.twisted_host.http.ws_wire import BINARY, TEXT, frame
from tests.twisted_host.http.ws_wire import CLOSE as CLOSE_FRAME
from tests.twisted_host.http.ws_wire import connect as wire_connect


def test_ready_line_says_https(https_server: Server) -> None:
    assert https_server.url.startswith("https://127.0.0.1:")
    assert (https_server.uvicorn_url or "").startswith("https://127.0.0.1:")


@pytest.mark.parametrize("mount", TARGETS)
def test_https_hello(
    https_server: Server, certificates: Certificates, mount: str
) -> None:
    with httpx.Client(verify=certificates.client_context()) as client:
        reply = client.get(https_server.base(mount) + "/hello")
    assert (reply.status_code, reply.text, reply.http_version) == (
        200,
        HELLO,
        "HTTP/1.1",
    )


CLOSE = 8.0  # seconds the client waits for the server to close after the handshake


@pytest.mark.parametrize("mount", ["native", "asgi", "uvicorn"])
def test_wss_echo(https_server: Server, certificates: Certificates, mount: str) -> None:
    url = ws_url(https_server.base(mount)) + "/ws"
    assert url.startswith("wss://")
    # The raw client, on one thread: websockets' sync client reads on a thread of its
    # own while it writes its handshake, and an SSL socket is one thread's at a time
    # (OpenSSL's objects are not shared): once in some hundreds of runs under load
    # the server got no request it could read (ours closed the connection; uvicorn,
    # another time, left it unanswered).
    context = certificates.client_context()
    with wire_connect(url, offer=None, context=context) as socket:
        assert socket.status == 101
        socket.send(frame(TEXT, b"over TLS"))
        assert socket.message() == "over TLS"
        socket.send(frame(BINARY, b"\x00bytes"))
        assert socket.message() == b"\x00bytes"
        socket.send(frame(CLOSE_FRAME, struct.pack("!H", 1000)))
        closing = time.monotonic()
        assert socket.closed_with(timeout=CLOSE) == 1000
        # RFC 6455 section 7.1.1: after the close handshake the server closes the
        # TCP connection first. Over TLS that took a close_notify Twisted held back
        # while the upgraded HTTP channel was still the transport's producer: the
        # client waited out its whole close timeout and then cut the connection.
        socket.sock.settimeout(CLOSE)
        assert socket.sock.recv(1) == b""
    assert time.monotonic() - closing < CLOSE


def test_https_events(https_server: Server, certificates: Certificates) -> None:
    events = read_events(
        https_server.base("native") + "/events?count=2",
        verify=certificates.client_context(),
    )
    assert len(events) == 2


def _tls_1_1_handshake(port: int) -> str:
    """The TLS version a client that offers at most TLS 1.1 gets from 127.0.0.1:port."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 on purpose
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw) as tls,
    ):
        return str(tls.version())


def test_nothing_older_than_tls_1_2(
    https_server: Server, certificates: Certificates
) -> None:
    # The client does speak TLS 1.1, to a server that allows it...
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lax = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        lax.set_ciphers("DEFAULT:@SECLEVEL=0")
        lax.minimum_version = ssl.TLSVersion.TLSv1
    certificates.ca.issue_cert("127.0.0.1").configure_cert(lax)
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def accept_one() -> None:
            with listener.accept()[0] as peer, lax.wrap_socket(peer, server_side=True):
                pass

        thread = threading.Thread(target=accept_one)
        thread.start()
        assert _tls_1_1_handshake(listener.getsockname()[1]) == "TLSv1.1"
        thread.join(timeout=10)
    # ...and ours refuses it.
    port = int(https_server.url.rsplit(":", 1)[1].rstrip("/"))
    with pytest.raises(ssl.SSLError, match="VERSION"):
        _tls_1_1_handshake(port)


def test_untrusted_certificate_is_refused_by_the_client(https_server: Server) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        fetch(
            https_server.base("native") + "/hello", context=ssl.create_default_context()
        )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ssl-keyfile-password", "wrong"], "cannot use"),
        ([], "cannot use"),  # an encrypted key and no password
    ],
)
def test_bad_key_is_a_clear_error(
    certificates: Certificates, extra: list[str], message: str
) -> None:
    args = [
        "--ssl-certfile",
        str(certificates.certfile),
        "--ssl-keyfile",
        str(certificates.keyfile),
    ]
    done = subprocess.run(
        [*TWISTBRIDGE, "serve", "--port", "0", "--uvicorn-port", "0", *args, *extra],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_workers_serve_https_and_http2(
    certificates: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> None:
    context = certificates.client_context()
    args = ("--workers", "2", "--no-access-log", *certificates.serve_args())
    tmp = tmp_path_factory.mktemp("https-workers")
    with run_server(*args, tmp_path=tmp, uvicorn=True, context=context) as server:
        assert server.url.startswith("https://")
        with httpx.Client(verify=context, http2=True) as client:
            for mount in TARGETS:
                reply = client.get(server.base(mount) + "/hello")
                assert (reply.status_code, reply.text) == (200, HELLO), mount
                expected = "HTTP/1.1" if mount == "uvicorn" else "HTTP/2"
                assert reply.http_version == expected, mount
