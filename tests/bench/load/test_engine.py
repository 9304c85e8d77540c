"""The built-in engine against a real server, and against servers that misbehave:
every failure is counted by kind, nothing raises. No timing assertions."""

from __future__ import annotations

import asyncio
from typing import ClassVar, cast

import pytest

from bench.load.engine import drive
from bench.load.http import BadTarget, Target
from bench.load.spec import LoadSpec
from bench.load.workers import run_sync
from tests.servers import DEFAULT_PARSER_ONLY, Server, free_port


@DEFAULT_PARSER_ONLY
def test_hello_windows_and_latency(server: Server) -> None:
    spec = LoadSpec(
        url=server.base("native") + "/hello",
        concurrency=4,
        duration=0.2,
        windows=2,
        warmup=0.1,
    )
    result = run_sync(spec)
    assert len(result.windows) == 2
    assert all(window.ok > 0 for window in result.windows)
    assert result.total().errors == {}
    assert result.total().latency.count == result.total().ok
    assert result.cpu_seconds > 0


@DEFAULT_PARSER_ONLY
def test_counted_requests_without_keepalive(server: Server) -> None:
    spec = LoadSpec(
        url=server.base("asgi") + "/hello",
        concurrency=3,
        duration=None,
        requests=30,
        warmup=0.0,
        keepalive=False,
    )
    result = run_sync(spec)
    assert result.total().ok == 30
    assert result.windows[0].duration > 0


@DEFAULT_PARSER_ONLY
def test_two_processes_share_a_run(server: Server) -> None:
    spec = LoadSpec(
        url=server.base("native") + "/hello",
        concurrency=4,
        duration=0.3,
        warmup=0.1,
        workers=2,
    )
    result = run_sync(spec)
    assert result.concurrency == 4
    assert result.total().ok > 0
    assert result.total().errors == {}


@DEFAULT_PARSER_ONLY
def test_non_2xx_is_counted_per_status(server: Server) -> None:
    spec = LoadSpec(url=server.base("wsgi") + "/no-such-page", concurrency=2,
                    duration=0.2, warmup=0)  # fmt: skip
    total = run_sync(spec).total()
    assert total.ok == 0
    assert set(total.errors) == {"http_404"}
    assert math_isnan(total.latency.percentile(99))


def math_isnan(value: float) -> bool:
    return value != value


def test_refused_connections_are_counted() -> None:
    spec = LoadSpec(url=f"http://127.0.0.1:{free_port()}/", concurrency=2,
                    duration=0.2, warmup=0)  # fmt: skip
    total = run_sync(spec).total()
    assert total.ok == 0
    assert total.errors["connect_refused"] > 0


@DEFAULT_PARSER_ONLY
def test_timeouts_are_counted(server: Server) -> None:
    spec = LoadSpec(url=server.base("native") + "/busy?seconds=3", concurrency=2,
                    duration=0.6, warmup=0, timeout=0.2)  # fmt: skip
    total = run_sync(spec).total()
    assert total.ok == 0
    assert total.errors["timeout"] > 0


class _Misbehaving(asyncio.Protocol):
    """A server connection that answers every request with `answer`, then maybe
    hangs up; every transport is remembered so that the test closes them all."""

    answer = b""
    hang_up = False
    transports: ClassVar[list[asyncio.BaseTransport]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transports.append(transport)
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" in self.buffer:
            self.buffer = b""
            self.transport.write(self.answer)
            if self.hang_up:
                self.transport.close()


class _Garbage(_Misbehaving):
    answer = b"this is not HTTP\r\n\r\n"


class _HangUp(_Misbehaving):
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"
    hang_up = True


async def _against(protocol: type[_Misbehaving]) -> dict[str, int]:
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(protocol, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        spec = LoadSpec(
            url=f"http://127.0.0.1:{port}/", concurrency=2, duration=0.2, warmup=0
        )
        result = await drive(spec)
    finally:
        listener.close()
        for transport in protocol.transports:
            transport.close()
        protocol.transports.clear()
        await listener.wait_closed()
        await asyncio.sleep(0.05)  # let the closes reach the sockets
    return dict(result.total().errors)


def test_bad_responses_and_hang_ups_are_counted() -> None:
    garbage = asyncio.run(_against(_Garbage))
    assert set(garbage) == {"bad_response"}
    closed = asyncio.run(_against(_HangUp))
    assert set(closed) == {"closed"}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/",
        "http://example.com/",
        "http://10.0.0.1:80/",
        "http://127.0.0.1:99999/",
    ],
)
def test_only_loopback_http_targets(url: str) -> None:
    with pytest.raises(BadTarget):
        Target.parse(url)


def test_spec_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        LoadSpec(url="http://127.0.0.1:1/", concurrency=0)
    with pytest.raises(ValueError):
        LoadSpec(url="http://127.0.0.1:1/", duration=1, requests=5)
    with pytest.raises(ValueError):
        LoadSpec(url="http://127.0.0.1:1/", duration=None, requests=5, windows=2)


def test_share_splits_connections_and_requests() -> None:
    spec = LoadSpec(
        url="http://127.0.0.1:1/", concurrency=5, duration=None, requests=11
    )
    shares = [spec.share(i, 2) for i in range(2)]
    assert [s.concurrency for s in shares] == [3, 2]
    assert [s.requests for s in shares] == [6, 5]
