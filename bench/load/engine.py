"""The built-in load engine: many connections on one asyncio (uvloop) event loop.

Each connection is a closed loop: send a request, wait for the whole response, send
the next. Latency is measured from the moment a request is written (or its
connection is opened, without keep-alive) until its last byte arrives.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter

from bench.load.http import BadResponse, Connection, ResponseClosed, Target
from bench.load.result import (
    CLOSED,
    CONNECT_ERROR,
    CONNECT_REFUSED,
    CONNECT_TIMEOUT,
    PARSE,
    TIMEOUT,
    LoadResult,
    Window,
    status_kind,
)
from bench.load.spec import LoadSpec

_CONNECT_BACKOFF = 0.01  # after a failed connect: do not spin on a dead port


class _Run:
    """The state of one process's share of a run."""

    def __init__(self, spec: LoadSpec, start: float) -> None:
        self.spec = spec
        self.target: Target = spec.target
        self.request = self.target.request(spec.keepalive)
        self.start = start
        self.warmup_end = start + spec.warmup
        if spec.duration is not None:
            self.end = self.warmup_end + spec.duration * spec.windows
            self.window_length = spec.duration
        else:
            self.end = math.inf
            self.window_length = math.inf
        self.budget = spec.requests
        self.last_done = self.warmup_end
        count = spec.windows
        self.samples: list[list[float]] = [[] for _ in range(count)]
        self.errors: list[Counter[str]] = [Counter() for _ in range(count)]
        self.warmup_errors: Counter[str] = Counter()
        self.sent_at: list[float | None] = [None] * spec.concurrency
        self.connections: list[Connection | None] = [None] * spec.concurrency

    def _window(self, sent: float, done: float) -> int | None:
        """Which window a request counts in; None: warm-up or after the end."""
        if self.spec.requests is not None:
            return None if sent < self.warmup_end else 0
        if done < self.warmup_end or done >= self.end:
            return None
        return min(
            int((done - self.warmup_end) / self.window_length), len(self.samples) - 1
        )

    def record(self, sent: float, done: float, status: int) -> None:
        index = self._window(sent, done)
        ok = 200 <= status < 300
        if index is None:
            if not ok and done < self.warmup_end:
                self.warmup_errors[status_kind(status)] += 1
            return
        self.last_done = max(self.last_done, done)
        if ok:
            self.samples[index].append(done - sent)
        else:
            self.errors[index][status_kind(status)] += 1

    def record_error(self, sent: float, done: float, kind: str) -> None:
        index = self._window(sent, done)
        if index is None:
            if done < self.warmup_end:
                self.warmup_errors[kind] += 1
            return
        self.last_done = max(self.last_done, done)
        self.errors[index][kind] += 1

    def take_budget(self, now: float) -> bool:
        """Whether this connection may send one more request."""
        if now >= self.end:
            return False
        if self.budget is None or now < self.warmup_end:
            return True
        if self.budget <= 0:
            return False
        self.budget -= 1
        return True

    async def slot(self, index: int) -> None:
        spec = self.spec
        begin = self.start + spec.ramp * index / spec.concurrency
        await asyncio.sleep(max(0.0, begin - time.monotonic()))
        connection: Connection | None = None
        try:
            while self.take_budget(sent := time.monotonic()):
                self.sent_at[index] = sent
                if connection is None or connection.closed:
                    connection = await self._connect(index, sent)
                    if connection is None:
                        continue
                try:
                    status = await connection.exchange(self.request)
                except (ResponseClosed, OSError):
                    kind = TIMEOUT if connection.timed_out else CLOSED
                    self.record_error(sent, time.monotonic(), kind)
                    connection.abort()
                    connection = None
                except BadResponse:
                    self.record_error(sent, time.monotonic(), PARSE)
                    connection.abort()
                    connection = None
                else:
                    self.record(sent, time.monotonic(), status)
                    if not (spec.keepalive and connection.keepalive):
                        connection.close()
                        connection = None
                self.sent_at[index] = None
        finally:
            if connection is not None:
                connection.abort()

    async def _connect(self, index: int, sent: float) -> Connection | None:
        """A new connection for slot `index`; None (the error counted) if it failed."""
        try:
            connection = await Connection.open(self.target, self.spec.timeout)
        except ConnectionRefusedError:
            kind = CONNECT_REFUSED
        except TimeoutError:
            kind = CONNECT_TIMEOUT
        except OSError:
            kind = CONNECT_ERROR
        else:
            self.connections[index] = connection
            return connection
        self.sent_at[index] = None
        self.record_error(sent, time.monotonic(), kind)
        await asyncio.sleep(_CONNECT_BACKOFF)
        return None

    async def sweep(self) -> None:
        """Abort the connections whose request has waited longer than the timeout:
        one timer for all of them, not one per request."""
        period = min(0.1, self.spec.timeout / 4)
        while True:
            await asyncio.sleep(period)
            limit = time.monotonic() - self.spec.timeout
            for index, sent in enumerate(self.sent_at):
                connection = self.connections[index]
                if sent is not None and sent < limit and connection is not None:
                    connection.timed_out = True
                    connection.abort()

    def result(self, cpu: float, unfinished: int) -> LoadResult:
        if self.spec.requests is not None:
            lengths = [max(self.last_done - self.warmup_end, 1e-9)]
        else:
            lengths = [self.window_length] * len(self.samples)
        windows = []
        for samples, errors, length in zip(
            self.samples, self.errors, lengths, strict=True
        ):
            window = Window(duration=length, ok=len(samples), errors=errors)
            window.latency.record_many(samples)
            windows.append(window)
        return LoadResult(
            url=self.spec.url,
            concurrency=self.spec.concurrency,
            windows=windows,
            unfinished=unfinished,
            warmup_errors=self.warmup_errors,
            cpu_seconds=cpu,
        )


async def drive(spec: LoadSpec, start: float | None = None) -> LoadResult:
    """Run `spec` on the running event loop, in this process only.

    `start` is a `time.monotonic()` instant, so that processes sharing a run agree on
    where its windows begin.
    """
    cpu = time.process_time()
    run = _Run(spec, time.monotonic() if start is None else start)
    slots = [asyncio.create_task(run.slot(i)) for i in range(spec.concurrency)]
    sweeper = asyncio.create_task(run.sweep())
    unfinished = 0
    try:
        if spec.requests is None:
            await asyncio.sleep(max(0.0, run.end - time.monotonic()))
            unfinished = sum(sent is not None for sent in run.sent_at)
        else:
            await asyncio.gather(*slots)
    finally:
        for task in [*slots, sweeper]:
            task.cancel()
        await asyncio.gather(*slots, sweeper, return_exceptions=True)
    return run.result(time.process_time() - cpu, unfinished)
