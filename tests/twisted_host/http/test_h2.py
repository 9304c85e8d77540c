"""HTTP/2 over TLS (ALPN `h2`) on every mount of the Site, with httpx's HTTP/2 client:
the contract's answers, the ASGI scope's `http_version` "2", a stream that stays
open, the body limit, and the dashboard's count of requests. uvicorn has no HTTP/2:
its port keeps answering HTTP/1.1 to the same client."""

from __future__ import annotations

import json

import httpx
import pytest

from core.content import HELLO, error_page, form_result_page
from core.mounts import MOUNT_NAMES
from tests.client import read_events
from tests.servers import Certificates, Server


@pytest.fixture
def client(certificates: Certificates) -> httpx.Client:
    return httpx.Client(http2=True, verify=certificates.client_context(), timeout=30)


@pytest.mark.parametrize("mount", MOUNT_NAMES)
def test_h2_hello(https_server: Server, client: httpx.Client, mount: str) -> None:
    with client:
        reply = client.get(https_server.base(mount) + "/hello")
        again = client.get(https_server.base(mount) + "/about")  # same connection
    assert (reply.http_version, reply.status_code, reply.text) == ("HTTP/2", 200, HELLO)
    assert reply.headers["content-length"] == str(len(HELLO))
    assert (again.http_version, again.status_code) == ("HTTP/2", 200)


def test_uvicorn_stays_on_http_1_1(https_server: Server, client: httpx.Client) -> None:
    with client:
        reply = client.get(https_server.base("uvicorn") + "/hello")
    assert (reply.http_version, reply.text) == ("HTTP/1.1", HELLO)


@pytest.mark.parametrize("mount", MOUNT_NAMES)
def test_h2_echo_says_http_2(
    https_server: Server, client: httpx.Client, mount: str
) -> None:
    with client:
        reply = client.get(https_server.base(mount) + "/echo")
    # The request line each interface reconstructs: the ASGI scope's http_version
    # is "2"; WSGI's SERVER_PROTOCOL and Twisted's clientproto say HTTP/2 too.
    lines = reply.text.splitlines()
    assert lines[1] == f"GET /{mount}/echo HTTP/2"
    port = https_server.url.rsplit(":", 1)[1].rstrip("/")
    assert f"host: 127.0.0.1:{port}" in lines  # :authority, as Host
    assert "user-agent: python-httpx/" in reply.text


@pytest.mark.parametrize("mount", MOUNT_NAMES)
def test_h2_form_post(https_server: Server, client: httpx.Client, mount: str) -> None:
    with client:
        reply = client.post(
            https_server.base(mount) + "/form", data={"form-field": "h2 <b>"}
        )
    assert (reply.http_version, reply.status_code) == ("HTTP/2", 200)
    assert reply.text == form_result_page("h2 <b>")


@pytest.mark.parametrize("mount", MOUNT_NAMES)
def test_h2_body_over_the_limit_is_413(
    https_server: Server, client: httpx.Client, mount: str
) -> None:
    with client:
        reply = client.post(
            https_server.base(mount) + "/form",
            content=b"form-field=" + b"x" * (1024 * 1024),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        after = client.get(https_server.base(mount) + "/hello")  # the connection lives
    assert (reply.http_version, reply.status_code) == ("HTTP/2", 413)
    assert reply.text == error_page(413, f"The body is over {1024 * 1024} bytes.")
    assert after.status_code == 200


@pytest.mark.parametrize("mount", MOUNT_NAMES)
def test_h2_events(
    https_server: Server, certificates: Certificates, mount: str
) -> None:
    events = read_events(
        https_server.base(mount) + "/events?count=2",
        http2=True,
        verify=certificates.client_context(),
    )
    assert len(events) == 2 and events[0][0] < 0.5


def test_h2_requests_end_on_the_dashboard(
    https_server: Server, client: httpx.Client
) -> None:
    with client:
        for mount in MOUNT_NAMES:
            client.get(https_server.base(mount) + "/hello")
        stats = json.loads(client.get(https_server.url + "/stats").text)
    assert all(stats["mounts"][mount]["in_flight"] == 0 for mount in MOUNT_NAMES)
    assert all(stats["mounts"][mount]["requests"] >= 1 for mount in MOUNT_NAMES)
