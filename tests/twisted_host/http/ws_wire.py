"""A WebSocket client on a raw socket, for the tests that look at the wire: it offers
the extensions it is told to, sends frames built by hand (any RSV bit, any split of a
message), counts the bytes the server sends, and decodes them with wsproto."""

from __future__ import annotations

import os
import socket
import ssl
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import (
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate

TEXT, BINARY, CONTINUATION, CLOSE, PING = 0x1, 0x2, 0x0, 0x8, 0x9


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False
) -> bytes:
    """One masked client frame, as RFC 6455 section 5.2 lays it out."""
    head = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    size = len(payload)
    if size < 126:
        length = struct.pack("!BB", head, 0x80 | size)
    elif size < 1 << 16:
        length = struct.pack("!BBH", head, 0x80 | 126, size)
    else:
        length = struct.pack("!BBQ", head, 0x80 | 127, size)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return length + mask + masked


def deflate(data: bytes, bits: int = 15) -> bytes:
    """A message's payload as permessage-deflate sends it (RFC 7692 section 7.2.1):
    raw deflate, sync-flushed, without the final 00 00 ff ff."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -bits)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


class WireClient:
    """A connected WebSocket: the server's handshake answer, and its frames."""

    def __init__(self, sock: socket.socket, head: bytes, rest: bytes) -> None:
        self.sock = sock
        self.status = int(head.split(b" ", 2)[1])
        self.headers = {
            name.strip().lower().decode(): value.strip().decode()
            for name, _, value in (
                line.partition(b":") for line in head.split(b"\r\n")[1:]
            )
        }
        offer = self.headers.get("sec-websocket-extensions", "")
        self.extension = PerMessageDeflate()  # decodes what the server compressed
        extensions = []
        if offer.startswith("permessage-deflate"):
            self.extension.finalize(offer)
            extensions = [self.extension]
        self.conn = Connection(ConnectionType.CLIENT, extensions)
        self.received = 0  # bytes of frames from the server, as they came
        self._pending = rest
        self.close_code: int | None = None
        self.close_reason: str | None = None

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def events(self, timeout: float = 10) -> Iterator[Event]:
        """The server's events until it closes (or `timeout` seconds of silence)."""
        self.sock.settimeout(timeout)
        while True:
            for event in self.conn.events():  # those already read come first
                if isinstance(event, CloseConnection):
                    self.close_code, self.close_reason = event.code, event.reason
                    return
                yield event
            data, self._pending = self._pending or self.sock.recv(65536), b""
            self.received += len(data)
            self.conn.receive_data(data or None)  # None: ended, 1006

    def message(self, timeout: float = 10) -> str | bytes:
        """The next whole message."""
        text, data = "", b""
        for event in self.events(timeout):
            if isinstance(event, TextMessage):
                text += event.data
            elif isinstance(event, BytesMessage):
                data += event.data
            if isinstance(event, Message) and event.message_finished:
                return text if isinstance(event, TextMessage) else data
        raise AssertionError(f"closed ({self.close_code}) before a message")

    def closed_with(self, timeout: float = 10) -> int | None:
        """The code of the server's close frame (None: the socket just ended)."""
        for _ in self.events(timeout):
            pass
        return self.close_code


@contextmanager
def connect(
    url: str,
    offer: str | None = "permessage-deflate",
    context: ssl.SSLContext | None = None,
) -> Iterator[WireClient]:
    """Open ws://host:port/path (wss:// over `context`) with
    `Sec-WebSocket-Extensions: offer` (if any). Every read times out after 10 s: a
    server that never answers fails the test rather than hanging it."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    try:
        if context is not None:  # a failed handshake closes the plain socket
            sock = context.wrap_socket(sock, server_hostname=parts.hostname)
        lines = [
            f"GET {parts.path} HTTP/1.1",
            f"Host: {parts.hostname}:{parts.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ]
        if offer is not None:
            lines.append(f"Sec-WebSocket-Extensions: {offer}")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"closed during the handshake: {data!r}"
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        yield WireClient(sock, head, rest)
    finally:
        sock.close()
