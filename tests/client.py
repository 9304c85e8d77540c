"""The HTTP the tests speak: `fetch` through http.client, `exchange` over a raw socket
for requests a polite client would never send."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import httpx

from core.live import EVENT_STREAM

# What httpx clients of http:// URLs verify with. Left to itself, httpx makes an SSL
# context for every client and loads certifi's bundle into it (30 ms of CPU): 40 s of
# the suite's, for clients that never speak TLS. An empty context trusts nothing.
PLAIN_HTTP = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(
    url: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
    context: ssl.SSLContext | None = None,
) -> Reply:
    """One request; an https URL is verified with `context`."""
    parts = urlsplit(url)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return Reply(response.status, response.headers, data)
    finally:
        conn.close()


def exchange(url: str, data: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes to the server of `url`; everything it answers until it closes."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def parse(raw: bytes) -> Reply:
    """A raw answer of `exchange` as a Reply (Content-Length or close delimited)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = Message()
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    length = headers.get("Content-Length")
    if length is not None:
        body = body[: int(length)]
    return Reply(int(status_line.split(" ")[1]), headers, body)


@contextmanager
def in_background(urls: list[str]) -> Iterator[list[int]]:
    """GET every URL at once, each from its own thread; statuses when the block ends."""
    statuses: list[int] = []

    def get(url: str) -> None:
        statuses.append(fetch(url, timeout=60).status)

    threads = [threading.Thread(target=get, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    try:
        yield statuses
    finally:
        for thread in threads:
            thread.join(timeout=60)


def ws_url(url: str) -> str:
    """The WebSocket URL of an http(s) URL: ws://... or wss://..."""
    return "ws" + url.removeprefix("http")


def read_events(url: str, **client: Any) -> list[tuple[float, str]]:
    """GET a server-sent event stream to its end with httpx (keyword arguments go to
    `httpx.Client`, `verify` for https): each event's text, and its arrival in
    seconds after the request went out."""
    found: list[tuple[float, str]] = []
    with httpx.Client(**{"timeout": 30, "verify": PLAIN_HTTP, **client}) as session:
        started = time.monotonic()
        with session.stream("GET", url) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"] == EVENT_STREAM
            pending = ""
            for text in response.iter_text():
                pending += text
                while "\n\n" in pending:
                    event, pending = pending.split("\n\n", 1)
                    found.append((time.monotonic() - started, event + "\n\n"))
            assert pending == ""
    return found


@dataclass
class Tally:
    """What `keep_fetching` saw: statuses by count, failures by what was raised."""

    statuses: dict[int, int]
    failures: list[str]
    bodies: dict[bytes, int]

    @property
    def total(self) -> int:
        return sum(self.statuses.values()) + len(self.failures)


@contextmanager
def keep_fetching(url: str, threads: int = 4, pause: float = 0.005) -> Iterator[Tally]:
    """GET `url` over and over, a new connection each time, from `threads` threads,
    each waiting `pause` seconds between its requests, until the block ends; the
    tally is complete once it has. Paced, the threads still leave no gap of a few
    milliseconds unasked (a restart's or a drain's failures show); a flood
    (`pause=0`, 2,600 requests a second here) kept both cores busy for as long as
    the test ran, and the other workers' servers waited."""
    tally = Tally({}, [], {})
    lock = threading.Lock()
    done = threading.Event()

    def loop() -> None:
        while not done.is_set():
            try:
                reply = fetch(url, timeout=10)
            except OSError as error:
                with lock:
                    tally.failures.append(repr(error))
                continue
            with lock:
                tally.statuses[reply.status] = tally.statuses.get(reply.status, 0) + 1
                tally.bodies[reply.body] = tally.bodies.get(reply.body, 0) + 1
            if pause:
                done.wait(pause)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    try:
        yield tally
    finally:
        done.set()
        for worker in workers:
            worker.join(timeout=30)
