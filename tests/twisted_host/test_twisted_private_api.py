"""A canary for Twisted's private names that twistbridge leans on.

pyproject.toml pins `Twisted>=26.10.0,<27` because of them. Each row names a private
name, where it is used and why; when an upgrade moves one, this test says which and
where to look, instead of a server that fails at its first request.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from twisted.internet.asyncioreactor import AsyncioSelectorReactor

# (module, object, private attributes of it ("" for the object itself), who uses it)
PRIVATE: list[tuple[str, str, tuple[str, ...], str]] = [
    (
        "twisted.web.wsgi",
        "_WSGIResponse",
        ("", "_requestFinished", "startResponse", "run", "start", "write"),
        "twisted_host.bridges.wsgi_response: the per-request WSGI driver, streaming",
    ),
    (
        "twisted.web.wsgi",
        "_wsgiStringToBytes",
        ("",),
        "twisted_host.bridges.wsgi_response: the app's status and headers as bytes",
    ),
    (
        "twisted.web.http",
        "HTTPChannel",
        ("_waitingForTransport", "registerProducer", "unregisterProducer"),
        "twisted_host.bridges.answer and twisted_host.http.direct: a pipelined "
        "answer's producer starts paused (both lanes)",
    ),
    (
        "twisted.web.http",
        "_hostHeaderExpression",
        ("", "match"),
        "twisted_host.bridges.wsgi_environ: SERVER_NAME as getRequestHostname",
    ),
    (
        "twisted.web.http",
        "HTTPChannel",
        ("_send100Continue", "_waitingForTransport", "allContentReceived"),
        "twisted_host.http.body: dispatch at the headers, 100 at the first read",
    ),
    (
        "twisted.web.resource",
        "_IEncodingResource",
        ("",),
        "twisted_host.http.request: Request.process, rewritten for speed, keeps "
        "its encoders",
    ),
    (
        "twisted.web.server",
        "Request",
        ("_handleStar", "_encoder"),
        "twisted_host.http.request: Request.process, rewritten for speed",
    ),
    (
        "twisted.web.wsgi",
        "_ErrorStream",
        ("",),
        "twisted_host.bridges.wsgi_environ: the environ's wsgi.errors",
    ),
    (
        "twisted.web.wsgi",
        "_InputStream",
        ("",),
        "twisted_host.bridges.wsgi_environ and .wsgi: the environ's wsgi.input, read "
        "whole (either lane)",
    ),
    (
        "twisted.web.http",
        "_escape",
        ("",),
        "twisted_host.http.access_log: Twisted's own escaping of log fields",
    ),
    (
        "twisted.web.http",
        "HTTPChannel",
        ("_respondToBadRequestAndDisconnect", "MAX_LENGTH", "totalHeadersSize"),
        "twisted_host.http.channel: every malformed request answered with a page",
    ),
    (
        "twisted.web.http",
        "HTTPChannel",
        ("_finishRequestBody",),
        "twisted_host.http.channel: trailer lines checked (its decoder's "
        "_trailerHeaders; tests/twisted_host/http/test_framing.py sees them go)",
    ),
    (
        "twisted.web.http",
        "HTTPChannel",
        ("_send100Continue", "_protocolUpgradeForWebsockets", "requestDone"),
        "twisted_host.http.httptools_impl: Twisted's answering side under llhttp "
        "(`requestDone` ends in `setLineMode`, where llhttp reads on)",
    ),
    (
        "twisted.web.http_headers",
        "_nameEncoder",
        ("", "encode"),
        "twisted_host.http.headers: headers llhttp checked, stored without a recheck; "
        "twisted_host.http.direct: the direct lane's answer headers, as Twisted's",
    ),
    (
        "twisted.web.http_headers",
        "Headers",
        ("_rawHeaders",),
        "twisted_host.http.headers and .request: headers llhttp checked, and the "
        "Server and Date of every answer, stored without a recheck",
    ),
    (
        "twisted.internet.abstract",
        "FileDescriptor",
        ("dataBuffer", "offset", "doWrite"),
        "twisted_host.http.transport: the same-turn write path",
    ),
    (
        "twisted.internet.posixbase",
        "PosixReactorBase",
        ("_disconnectSelectable",),
        "twisted_host.http.transport: a failed flush disconnects as Twisted does",
    ),
    (
        "twisted.web._websocket_impl",
        "_WebSocketWireProtocol",
        ("", "__dataclass_fields__", "sendTextMessage", "loseConnection"),
        "twisted_host.http.websocket: the wire protocol with a message size limit",
    ),
    (
        "twisted.web._websocket_impl",
        "_handleEvent",
        ("",),
        "twisted_host.http.websocket: events dispatched after the size check",
    ),
    (
        "twisted.web._websocket_impl",
        "serverBootstrap",
        ("",),
        "twisted_host.http.websocket: the server side's (empty) bootstrap",
    ),
    (
        "twisted.web.http",
        "HTTPChannel",
        ("_protocolUpgradeForWebsockets",),
        "twisted_host.http.websocket: the channel handed over after a 101",
    ),
    (
        "twisted.web.http",
        "_GenericHTTPChannelProtocol",
        (
            "",
            "_negotiatedProtocol",
            "_factory",
            "_timeOut",
            "_callLater",
            "_requestFactory",
        ),
        "twisted_host.http.h2: the switch to HTTP/2 around the Site's channel",
    ),
    (
        "twisted.web._http2",
        "H2Connection",
        (
            "",
            "_sendPrioritisedData",
            "_requestDone",
            "_terminate",
            "_tryToWriteControlData",
        ),
        "twisted_host.http.h2_connection: the sending loop kept alive past a stream "
        "h2 closed (CVE-2019-9514), the connection tracked and closed by the Site",
    ),
    (
        "twisted.internet.tcp",
        "Port",
        ("_fromListeningDescriptor", "_preexistingSocket"),
        "twisted_host.http.transport: a worker serves the socket its supervisor bound",
    ),
]


def _lookup(module_name: str, name: str) -> Any:
    module = importlib.import_module(module_name)
    assert hasattr(module, name), (
        f"{module_name}.{name} is gone: twistbridge uses it, see the canary's table"
    )
    return getattr(module, name)


@pytest.mark.parametrize(
    ("module", "name", "attributes", "used_by"),
    PRIVATE,
    ids=[f"{module}.{name}" for module, name, _, _ in PRIVATE],
)
def test_private_name_is_where_twistbridge_expects_it(
    module: str, name: str, attributes: tuple[str, ...], used_by: str
) -> None:
    found = _lookup(module, name)
    for attribute in attributes:
        if attribute:
            assert hasattr(found, attribute), (
                f"{module}.{name}.{attribute} moved in this Twisted: {used_by}"
            )


def test_instance_attributes_of_reactor_and_site() -> None:
    """Names set in constructors, which only an instance shows. A reactor of its
    own, not installed: another test may have installed the default one already
    (DummyRequest does)."""
    loop = asyncio.new_event_loop()
    reactor = AsyncioSelectorReactor(loop)
    from twisted.web.resource import Resource
    from twisted.web.server import Site

    for attribute in ("_asyncioEventloop", "_writers", "_readers"):
        assert hasattr(reactor, attribute), (
            f"AsyncioSelectorReactor.{attribute} moved: twisted_host.http.transport, "
            "twisted_host.bridges.asgi and twisted_host.bridges.handback use it"
        )
    from twisted.internet.abstract import FileDescriptor

    assert hasattr(FileDescriptor(reactor), "_tempDataLen"), (
        "FileDescriptor._tempDataLen moved: twisted_host.http.transport reads it"
    )
    from twisted.web._websocket_impl import _WebSocketWireProtocol

    assert "_wsconn" in _WebSocketWireProtocol.__dataclass_fields__, (
        "_WebSocketWireProtocol._wsconn moved: twisted_host.http.websocket reads it"
    )
    assert hasattr(Site(Resource(), reactor=reactor), "_logDateTime"), (
        "Site._logDateTime moved: twisted_host.http.site stamps access-log lines"
    )
    from twisted.web.http import HTTPChannel

    assert hasattr(HTTPChannel(), "_handlingRequest"), (
        "HTTPChannel._handlingRequest moved: twisted_host.http.httptools_impl sets it"
    )
    loop.close()


def test_instance_attributes_of_the_channel() -> None:
    """Names a channel sets while it reads a request (no reactor needed)."""
    from twisted.internet.testing import StringTransport
    from twisted.web.http import HTTPChannel

    channel = HTTPChannel()
    channel.makeConnection(StringTransport())
    channel.dataReceived(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n")
    for attribute in ("_networkProducer", "_command", "_path", "_version"):
        assert hasattr(channel, attribute), (
            f"HTTPChannel.{attribute} moved: twisted_host.http.body reads it"
        )


def test_instance_attributes_of_the_h2_connection() -> None:
    """Names an `H2Connection` and its streams set in their constructors."""
    from twisted.internet.task import Clock
    from twisted.internet.testing import StringTransport
    from twisted.web._http2 import H2Connection, H2Stream
    from twisted.web.http import Request

    connection = H2Connection(Clock())
    connection.makeConnection(StringTransport())
    for attribute in ("_reactor", "_outboundStreamQueues", "_stillProducing"):
        assert hasattr(connection, attribute), (
            f"H2Connection.{attribute} moved: twisted_host.http.h2_connection uses it"
        )
    stream = H2Stream(1, connection, [], Request, None, None)
    assert hasattr(stream, "_request"), (
        "H2Stream._request moved: twisted_host.http.h2_connection lists requests"
    )
    stream._request.content.close()  # a temporary file, for a body of unknown length
