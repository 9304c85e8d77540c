"""The chapter's lesson, measured: how long `clock` takes on a mount while N slow
requests are in flight on it — `busy/blocking` (time.sleep where the handler runs)
against `busy` (a timer, no thread held).

`clock` is probed open-loop: one request every `interval` on a fresh connection,
whatever happened to the previous one, and each latency counts from the moment the
probe was due. A closed loop would send fewer probes exactly while the server is
stalled, and hide the stall (coordinated omission).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any

from bench.load.histogram import LatencyHistogram
from bench.load.http import BadResponse, Connection, ResponseClosed, Target
from bench.load.result import CLOSED, CONNECT_ERROR, CONNECT_REFUSED, PARSE, TIMEOUT

MODES = ("busy/blocking", "busy")
_LEAD = 0.1  # probing starts this long before the slow requests: the calm before


@dataclass
class LessonRun:
    target: str
    mode: str  # "busy/blocking" or "busy"
    blockers: int
    seconds: float
    # (due, latency or NaN, status or error kind), times from the start of the run
    probes: list[tuple[float, float, str]] = field(default_factory=list)
    # (sent, done, status or error kind) of the slow requests
    slow: list[tuple[float, float, str]] = field(default_factory=list)
    _latency: LatencyHistogram | None = field(default=None, repr=False, compare=False)

    @property
    def window(self) -> tuple[float, float]:
        """From the first slow request sent to the last one answered."""
        if not self.slow:
            return (0.0, 0.0)
        return (min(s for s, _, _ in self.slow), max(d for _, d, _ in self.slow))

    def in_window(self) -> list[tuple[float, float, str]]:
        start, end = self.window
        return [probe for probe in self.probes if start <= probe[0] <= end]

    def latency(self) -> LatencyHistogram:
        """The in-window probes' latencies; computed once, as a run is final once
        `measure` returns it."""
        if self._latency is None:
            self._latency = LatencyHistogram()
            self._latency.record_many(
                latency
                for _, latency, status in self.in_window()
                if status == "200" and not math.isnan(latency)
            )
        return self._latency

    def errors(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, _, status in self.in_window():
            if status != "200":
                counts[status] = counts.get(status, 0) + 1
        for _, _, status in self.slow:
            if status != "200":
                kind = f"slow request {status}"
                counts[kind] = counts.get(kind, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "mode": self.mode,
            "blockers": self.blockers,
            "seconds": self.seconds,
            "window": list(self.window),
            "probes_in_window": len(self.in_window()),
            "latency": self.latency().summary(),
            "errors": self.errors(),
            "probes": [list(p) for p in self.probes],
            "slow": [list(s) for s in self.slow],
        }


async def _get(target: Target, timeout: float) -> str:
    """GET on a fresh connection: '200', 'http_...' or an error kind."""
    try:
        connection = await Connection.open(target, timeout)
    except ConnectionRefusedError:
        return CONNECT_REFUSED
    except (OSError, TimeoutError):
        return CONNECT_ERROR
    try:
        status = await asyncio.wait_for(
            connection.exchange(target.request(keepalive=False)), timeout
        )
    except TimeoutError:
        return TIMEOUT
    except (ResponseClosed, OSError):
        return CLOSED
    except BadResponse:
        return PARSE
    finally:
        connection.abort()
    return "200" if status == 200 else f"http_{status}"


async def measure(
    target_name: str,
    base: str,
    mode: str,
    blockers: int,
    seconds: float,
    interval: float,
    timeout: float,
) -> LessonRun:
    """Probe `base`/clock while `blockers` requests to `base`/`mode` are in flight."""
    run = LessonRun(target_name, mode, blockers, seconds)
    clock = Target.parse(f"{base}/clock")
    slow_target = Target.parse(f"{base}/{mode}?seconds={seconds:g}")
    start = time.monotonic()

    async def probe(due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        status = await _get(clock, timeout)
        latency = time.monotonic() - due if status == "200" else math.nan
        run.probes.append((due - start, latency, status))

    async def slow() -> None:
        sent = time.monotonic()
        status = await _get(slow_target, timeout)
        run.slow.append((sent - start, time.monotonic() - start, status))

    probes: list[asyncio.Task[None]] = []
    slow_tasks: list[asyncio.Task[None]] = []
    try:
        due = start
        launched = False
        # Probe until the slow requests are all answered, then a little longer; never
        # beyond the timeout whatever the server does.
        deadline = start + _LEAD + blockers * seconds + timeout
        while time.monotonic() < deadline:
            if not launched and due >= start + _LEAD:
                slow_tasks = [asyncio.create_task(slow()) for _ in range(blockers)]
                launched = True
            probes.append(asyncio.create_task(probe(due)))
            if launched and all(task.done() for task in slow_tasks):
                break
            due += interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        for _ in range(int(_LEAD / interval)):  # the calm after
            due += interval
            probes.append(asyncio.create_task(probe(due)))
        await asyncio.wait([*probes, *slow_tasks], timeout=timeout + 1)
    finally:
        for task in [*probes, *slow_tasks]:
            task.cancel()
        await asyncio.gather(*probes, *slow_tasks, return_exceptions=True)
    run.probes.sort()
    run.slow.sort()
    return run
