"""A WebSocket client over HTTP/2 (RFC 8441) on a raw `h2` connection over TLS: it
reads the server's SETTINGS, opens a WebSocket as an extended CONNECT on a stream,
and speaks wsproto's frames in that stream's DATA; other streams of the same
connection can carry plain requests meanwhile."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    DataReceived,
    Event,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
)
from h2.settings import SettingCodes
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import CloseConnection, Message, Ping
from wsproto.events import Event as WSEvent
from wsproto.extensions import PerMessageDeflate


class H2Client:
    """One HTTP/2 connection, read event by event."""

    def __init__(self, sock: ssl.SSLSocket, authority: str) -> None:
        self.sock = sock
        self.authority = authority
        self.conn = H2Connection(H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.flush()
        self.settings: dict[int, int] = {}
        self.pending: list[Event] = []

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def read(self, timeout: float = 10) -> list[Event]:
        """The events of the next read (none: the connection ended)."""
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536)
        if not data:
            return []
        events = self.conn.receive_data(data)
        for event in events:
            if isinstance(event, RemoteSettingsChanged):
                for code, change in event.changed_settings.items():
                    self.settings[int(code)] = change.new_value
            if isinstance(event, DataReceived) and event.flow_controlled_length:
                self.conn.acknowledge_received_data(
                    event.flow_controlled_length, event.stream_id
                )
        self.flush()
        return events

    def wait_settings(self) -> None:
        while SettingCodes.ENABLE_CONNECT_PROTOCOL not in self.settings:
            self.pending += self.read()

    def batch(self, timeout: float = 10) -> list[Event]:
        """The events set aside, else those of the next read ([]: the end)."""
        pending, self.pending = self.pending, []
        return pending or self.read(timeout)

    def take(self, stream: int) -> Iterator[Event]:
        """The events of one stream as they come; the others, and those the
        consumer leaves, stay pending."""
        aside: list[Event] = []
        try:
            while batch := self.batch():
                while batch:
                    event = batch.pop(0)
                    if getattr(event, "stream_id", None) != stream:
                        aside.append(event)
                        continue
                    self.pending = batch  # kept, should the consumer stop here
                    yield event
                    batch, self.pending = self.pending, []
        finally:
            self.pending = aside + self.pending

    def next_of(self, stream: int) -> Event | None:
        """The next event of a stream (None: the connection ended)."""
        events = self.take(stream)
        try:
            return next(events, None)
        finally:
            events.close()

    def request(self, headers: list[tuple[str, str]], end: bool) -> int:
        stream = self.conn.get_next_available_stream_id()
        self.conn.send_headers(stream, headers, end_stream=end)
        self.flush()
        return stream

    def get(self, path: str) -> tuple[int, bytes]:
        """A plain GET on a stream of its own: (status, body)."""
        stream = self.request(
            [
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", self.authority),
                (":path", path),
            ],
            end=True,
        )
        status, body = 0, b""
        for event in self.take(stream):
            if isinstance(event, ResponseReceived):
                status = int(dict(event.headers)[b":status"])
            elif isinstance(event, DataReceived):
                body += event.data
            elif isinstance(event, StreamEnded):
                return status, body
        raise AssertionError("the connection ended")


class H2WebSocket:
    """A WebSocket on one stream: the server's answer, then wsproto's events."""

    def __init__(
        self, client: H2Client, stream: int, status: int, headers: dict[str, str]
    ) -> None:
        self.client = client
        self.stream = stream
        self.status = status
        self.headers = headers
        extensions = []
        offer = headers.get("sec-websocket-extensions", "")
        if offer.startswith("permessage-deflate"):
            deflate = PerMessageDeflate()
            deflate.finalize(offer)
            extensions = [deflate]
        self.ws = Connection(ConnectionType.CLIENT, extensions)
        self.ended = False  # the server ended the stream
        self.reset = False

    def send(self, event: WSEvent) -> None:
        """Send an event's frames, within the stream's flow-control window."""
        data = self.ws.send(event)
        conn = self.client.conn
        while data:
            room = min(
                conn.local_flow_control_window(self.stream),
                conn.max_outbound_frame_size,
            )
            if room == 0:  # wait for WINDOW_UPDATE; keep what else comes
                self.client.pending += self.client.read()
                continue
            conn.send_data(self.stream, data[:room])
            self.client.flush()
            data = data[room:]

    def next_event(self, answer_pings: bool = True) -> WSEvent:
        """The server's next WebSocket event; CloseConnection(1006) at the end."""
        while True:
            for event in self.ws.events():
                if isinstance(event, Ping) and answer_pings:
                    self.send(event.response())
                    continue
                return event
            if self.ended or self.reset:
                return CloseConnection(1006)
            h2_event = self.client.next_of(self.stream)
            if isinstance(h2_event, DataReceived) and h2_event.data:
                self.ws.receive_data(h2_event.data)
            elif isinstance(h2_event, StreamEnded):
                self.ended = True
            elif isinstance(h2_event, StreamReset) or h2_event is None:
                self.reset = True

    def message(self) -> str | bytes:
        text, data = "", b""
        while True:
            event = self.next_event()
            assert isinstance(event, Message), event
            if isinstance(event.data, str):
                text += event.data
            else:
                data += event.data
            if event.message_finished:
                return text if isinstance(event.data, str) else data


@contextmanager
def h2_connect(url: str, context: ssl.SSLContext) -> Iterator[H2Client]:
    """An HTTP/2 connection to https://host:port (ALPN h2), its SETTINGS read."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    context.set_alpn_protocols(["h2"])
    raw = socket.create_connection((parts.hostname, parts.port), timeout=10)
    with context.wrap_socket(raw, server_hostname=parts.hostname) as sock:
        assert sock.selected_alpn_protocol() == "h2"
        client = H2Client(sock, f"{parts.hostname}:{parts.port}")
        client.wait_settings()
        yield client


def open_websocket(
    client: H2Client, path: str, extra: list[tuple[str, str]] | None = None
) -> H2WebSocket:
    """An extended CONNECT for a WebSocket at `path`, and the server's answer."""
    headers = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":authority", client.authority),
        (":path", path),
        *(extra if extra is not None else [("sec-websocket-version", "13")]),
    ]
    stream = client.request(headers, end=False)
    for event in client.take(stream):
        if isinstance(event, ResponseReceived):
            answer = {k.decode(): v.decode() for k, v in event.headers}
            return H2WebSocket(client, stream, int(answer[":status"]), answer)
    raise AssertionError("no answer to the extended CONNECT")
