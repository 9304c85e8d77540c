"""The chapter's two lowest layers, as listeners of their own.

Example 4-1 echoes a request on a bare `LineReceiver`: no HTTP parser at all, which
is why it must write the status line and headers itself. Example 4-2 subclasses
`http.Request` on an `HTTPChannel`: Twisted parses the request, the subclass routes
`/`, `/about` and 404 in `process()`. Both answer with correct HTTP/1.1 and close.
"""

from __future__ import annotations

from typing import ClassVar

from twisted.internet.protocol import Factory
from twisted.protocols.basic import LineReceiver
from twisted.web import http

from core.content import ABOUT, HOME, NOT_FOUND, echo_text
from core.contract import HTML, TEXT

MAX_LINE = 8192  # the request line and each header line, as nginx's large buffers


class HTTPEchoProtocol(LineReceiver):
    """Example 4-1: collect the request's lines, answer with them at the blank line."""

    MAX_LENGTH = MAX_LINE

    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)
        if line:
            return
        request_line, *header_lines = (raw.decode("latin-1") for raw in self.lines[:-1])
        method, _, rest = request_line.partition(" ")
        target, _, version = rest.rpartition(" ")
        if not (method and target and version.startswith("HTTP/")):
            self.answer(400, "Bad Request", "This is not an HTTP request line.\n")
            return
        headers = []
        for header in header_lines:
            name, sep, value = header.partition(":")
            if sep:
                headers.append((name.strip(), value.strip()))
        self.answer(200, "OK", echo_text(method, target, version, headers))

    def lineLengthExceeded(self, line: bytes) -> None:
        self.answer(431, "Request Header Fields Too Large", "A line is too long.\n")

    def answer(self, status: int, reason: str, body_text: str) -> None:
        body = body_text.encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\n"
            f"Content-Type: {TEXT}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        assert self.transport is not None  # lines arrive only while connected
        self.transport.write(head.encode("latin-1") + body)
        self.transport.loseConnection()


class PageRequest(http.Request):
    """Example 4-2: an `http.Request` that routes by path in `process()`."""

    pages: ClassVar[dict[bytes, str]] = {b"/": HOME, b"/about": ABOUT}

    def process(self) -> None:
        page = self.pages.get(self.path)
        if page is None:
            self.setResponseCode(http.NOT_FOUND)
            page = NOT_FOUND
        body = page.encode()
        self.setHeader(b"content-type", HTML.encode())
        self.setHeader(b"content-length", b"%d" % len(body))
        self.setHeader(b"connection", b"close")
        if self.method != b"HEAD":
            self.write(body)
        channel = self.channel  # finish() lets go of it
        self.finish()
        channel.loseConnection()


class PageChannel(http.HTTPChannel):
    requestFactory = PageRequest


def echo_factory() -> Factory:
    return Factory.forProtocol(HTTPEchoProtocol)


def handler_factory() -> http.HTTPFactory:
    factory = http.HTTPFactory()
    # As in the book and Twisted's howto; Twisted's annotation only admits the wrapper
    # it uses by default (which adds HTTP/2), not an `HTTPChannel` subclass.
    factory.protocol = PageChannel  # type: ignore[assignment]
    return factory
