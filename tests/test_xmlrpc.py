"""XML-RPC over real HTTP on every mount and uvicorn, with the stdlib's
`xmlrpc.client.ServerProxy` as the client: the methods' answers, faults the same bytes
everywhere, and hostile XML answered at once with a fault."""

from __future__ import annotations

import time
from xmlrpc.client import (
    INVALID_METHOD_PARAMS,
    INVALID_XMLRPC,
    METHOD_NOT_FOUND,
    NOT_WELLFORMED_ERROR,
    Binary,
    Fault,
    ServerProxy,
    dumps,
)

import pytest

from core.busy import WAITED_ON
from core.content import HELLO, error_page, method_not_allowed_page
from core.contract import HTML
from core.settings import Settings
from core.xmlrpc import (
    BIG_INT,
    NO_DOCTYPE,
    NOT_A_CALL,
    NOT_XML,
    TOO_DEEP,
    XML,
    answer,
)
from tests.client import fetch
from tests.servers import Server


def style(mount: str) -> str:
    return "asgi" if mount == "uvicorn" else mount


def proxy(base: str) -> ServerProxy:
    return ServerProxy(base + "/xmlrpc", allow_none=True)


def post(base: str, body: bytes) -> tuple[float, int, str | None, bytes]:
    started = time.monotonic()
    reply = fetch(
        base + "/xmlrpc", "POST", body=body, headers={"Content-Type": "text/xml"}
    )
    took = time.monotonic() - started
    return took, reply.status, reply.header("content-type"), reply.body


def call(method: str, *params: object) -> bytes:
    return dumps(params, method).encode()


def test_methods(base: str, mount: str) -> None:
    value = {"text": "é<&>", "list": [1, -2.5, True, None], "bytes": Binary(b"\0\xff")}
    with proxy(base) as server:
        assert server.echo(value) == value
        assert server.add(2, 3) == 5
        assert server.add(0.5, 2) == 2.5
        assert server.now().startswith("The local time is ")
        assert server.busy(0) == WAITED_ON[(style(mount), "busy")]


def test_busy_waits(base: str) -> None:
    started = time.monotonic()
    with proxy(base) as server:
        server.busy(0.5)
    assert 0.45 <= time.monotonic() - started < 3


FAULTS = [
    (call("nope"), Fault(METHOD_NOT_FOUND, "There is no method 'nope'.")),
    (call("system.listMethods"), Fault(METHOD_NOT_FOUND, "There is no method 'system.listMethods'.")),
    (call("add", 1), Fault(INVALID_METHOD_PARAMS, "add(a, b) takes 2 arguments, 1 given.")),
    (call("now", 1), Fault(INVALID_METHOD_PARAMS, "now() takes 0 arguments, 1 given.")),
    (call("echo"), Fault(INVALID_METHOD_PARAMS, "echo(x) takes 1 arguments, 0 given.")),
    (call("add", "1", 2), Fault(INVALID_METHOD_PARAMS, "add(a, b) takes two numbers.")),
    (call("add", True, 2), Fault(INVALID_METHOD_PARAMS, "add(a, b) takes two numbers.")),
    (call("add", 2**31 - 1, 1), Fault(INVALID_METHOD_PARAMS, BIG_INT)),
    (call("add", 1e308, 1e308), Fault(INVALID_METHOD_PARAMS, "The sum is not a finite number.")),
    (call("busy", 61), Fault(INVALID_METHOD_PARAMS, "seconds must be a number from 0 to 60")),
    (call("busy", -1), Fault(INVALID_METHOD_PARAMS, "seconds must be a number from 0 to 60")),
    (call("busy", "1"), Fault(INVALID_METHOD_PARAMS, "seconds must be a number from 0 to 60")),
    (b"", Fault(NOT_WELLFORMED_ERROR, NOT_XML)),
    (b"form-field=hello", Fault(NOT_WELLFORMED_ERROR, NOT_XML)),
    (b"<methodCall><methodName>echo</methodName>", Fault(NOT_WELLFORMED_ERROR, NOT_XML)),
    (b"<methodCall><params><param><value><int>x</int></value></param></params></methodCall>", Fault(NOT_WELLFORMED_ERROR, NOT_XML)),
    (dumps(Fault(1, "a fault sent as a call"), methodresponse=True).encode(), Fault(NOT_WELLFORMED_ERROR, NOT_XML)),
    (dumps((1,), methodresponse=True).encode(), Fault(INVALID_XMLRPC, NOT_A_CALL)),
]  # fmt: skip


@pytest.mark.parametrize(("body", "fault"), FAULTS)
def test_faults_are_the_same_bytes_everywhere(
    base: str, body: bytes, fault: Fault
) -> None:
    _, status, content_type, answered = post(base, body)
    assert (status, content_type, answered) == (200, XML, answer(fault))


def test_fault_reaches_the_client(base: str) -> None:
    with proxy(base) as server, pytest.raises(Fault) as raised:
        server.add(1)
    assert raised.value.faultCode == INVALID_METHOD_PARAMS


def _nested(depth: int) -> bytes:
    value = "<value><array><data>" * depth + "</data></array></value>" * depth
    return f"<methodCall><methodName>echo</methodName><params><param>{value}</param></params></methodCall>".encode()


def _with_doctype(doctype: str, text: str) -> bytes:
    return (
        f'<?xml version="1.0"?>{doctype}<methodCall><methodName>echo</methodName>'
        f"<params><param><value><string>{text}</string></value></param></params>"
        "</methodCall>"
    ).encode()


_LAUGHS = '<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
)
HOSTILE = {
    "billion-laughs": (_with_doctype(f"<!DOCTYPE l [{_LAUGHS}]>", "&j;"), NO_DOCTYPE),
    "external-entity": (
        _with_doctype('<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"),
        NO_DOCTYPE,
    ),
    "external-dtd": (
        _with_doctype('<!DOCTYPE l SYSTEM "http://127.0.0.1:9/x.dtd">', "x"),
        NO_DOCTYPE,
    ),
    "bare-doctype": (_with_doctype("<!DOCTYPE methodCall>", "x"), NO_DOCTYPE),
    "deep-arrays": (_nested(5000), TOO_DEEP),
    "deep-structs": (
        b"<methodCall><methodName>echo</methodName><params><param>"
        + b"<value><struct><member><name>k</name>" * 3000
        + b"<value>x</value>"
        + b"</member></struct></value>" * 3000
        + b"</param></params></methodCall>",
        TOO_DEEP,
    ),
    "huge-int": (call("echo", 0).replace(b"<int>0<", b"<int>" + b"9" * 4000 + b"<"), BIG_INT),
    "huger-int": (call("echo", 0).replace(b"<int>0<", b"<int>" + b"9" * 9000 + b"<"), NOT_XML),
    "i8": (call("echo", 0).replace(b"<int>0</int>", b"<i8>4294967296</i8>"), BIG_INT),
}  # fmt: skip
CODES = {
    NO_DOCTYPE: INVALID_XMLRPC,
    TOO_DEEP: INVALID_XMLRPC,
    NOT_XML: NOT_WELLFORMED_ERROR,
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_xml_is_refused_at_once(server: Server, base: str, case: str) -> None:
    body, reason = HOSTILE[case]
    logged = len(server.output())  # the session's server: earlier tests' lines too
    took, status, _, answered = post(base, body)
    fault = Fault(CODES.get(reason, INVALID_METHOD_PARAMS), reason)
    assert (status, answered) == (200, answer(fault))
    assert took < 2
    assert fetch(base + "/hello").text == HELLO
    assert "Traceback" not in server.output()[logged:]


def test_moderate_nesting_is_answered(base: str) -> None:
    value: object = "x"
    for _ in range(25):
        value = [value]
    with proxy(base) as server:
        assert server.echo(value) == value


def test_call_over_the_limit_is_413(base: str) -> None:
    limit = Settings().xmlrpc_max_body
    body = call("echo", "x" * limit)
    _, status, content_type, answered = post(base, body)
    detail = f"An XML-RPC call is over {limit} bytes."
    assert (status, content_type, answered.decode()) == (
        413,
        HTML,
        error_page(413, detail),
    )
    with proxy(base) as server:
        assert server.echo("x" * (limit - 200)) == "x" * (limit - 200)


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT"])
def test_other_methods_are_405(base: str, method: str) -> None:
    reply = fetch(base + "/xmlrpc", method)
    assert (reply.status, reply.header("allow")) == (405, "POST")
    if method != "HEAD":
        assert reply.text == method_not_allowed_page(method)


@pytest.mark.parametrize("path", ["/xmlrpc/", "/xmlrpc/echo"])
def test_below_is_404(base: str, path: str) -> None:
    assert fetch(base + path, "POST", body=call("echo", 1)).status == 404
