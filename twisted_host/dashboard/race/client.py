"""The burst client: N GETs of one URL at once, in a process of its own.

The server starts this module for each mount of a race (`python -m ...`) and reads
what it prints: one JSON line per moment of each request (start, first byte, end),
stamped with `time.monotonic()`. On Linux that clock (CLOCK_MONOTONIC) is the
machine's, not the process's, so the stamps line up with the reactor lag the server
samples. A client on the server's own reactor would read its clock only when the
reactor let it: a `busy/blocking` request would delay the timing of every other one,
and the waterfall would show what the client saw rather than what the server did.

asyncio with httptools: a connection per request, `Connection: close`, the first
`data_received` is the first byte.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

from twisted_host.run.process import die_with_parent


def report(index: int, phase: str, **more: Any) -> None:
    line = {"i": index, "phase": phase, "at": time.monotonic(), **more}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


class _Exchange(asyncio.Protocol):
    """One request on a fresh connection, reporting its first byte and its end."""

    def __init__(self, index: int, request: bytes) -> None:
        self.index = index
        self.request = request
        self.parser = httptools.HttpResponseParser(self)
        self.done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.first = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP connection's
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if not self.first:
            self.first = True
            report(self.index, "first")
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._settle(error)

    def on_message_complete(self) -> None:
        if not self.done.done():
            self.done.set_result(self.parser.get_status_code())
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._settle(exc or ConnectionError("closed before the answer ended"))

    def _settle(self, error: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(error)


async def _one(index: int, host: str, port: int, request: bytes) -> None:
    report(index, "start")
    loop = asyncio.get_running_loop()
    try:
        _, exchange = await loop.create_connection(
            lambda: _Exchange(index, request), host, port
        )
        status = await exchange.done
    except (OSError, httptools.HttpParserError) as error:
        report(index, "end", status=None, error=type(error).__name__)
    else:
        report(index, "end", status=status)


async def burst(url: str, count: int, timeout: float) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {netloc}\r\n"
        "User-Agent: twistbridge-race\r\nConnection: close\r\n\r\n"
    ).encode()
    tasks = [asyncio.ensure_future(_one(i, host, port, request)) for i in range(count)]
    _, late = await asyncio.wait(tasks, timeout=timeout)
    for task in late:
        task.cancel()
    for index, task in enumerate(tasks):
        if task in late:
            report(index, "end", status=None, error="timeout")


def main(argv: list[str]) -> None:
    url, count, timeout = argv[0], int(argv[1]), float(argv[2])
    die_with_parent()
    asyncio.run(burst(url, count, timeout))


if __name__ == "__main__":
    main(sys.argv[1:])
