"""What one load run measured: per window, successes, errors by kind, latencies.

A run is split into consecutive measurement windows after its warm-up (the repeats of
one point), so that one long-lived set of connections gives several comparable
figures without reconnecting between them.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.load.histogram import LatencyHistogram

# Error kinds: every failure lands in exactly one, so that reports can say what broke.
CONNECT_REFUSED = "connect_refused"  # nothing listens: ECONNREFUSED
CONNECT_TIMEOUT = "connect_timeout"  # the handshake did not finish in time
CONNECT_ERROR = "connect_error"  # any other reason the connection could not open
TIMEOUT = "timeout"  # connected, but no full response in time
CLOSED = "closed"  # the server closed or reset the connection mid-response
PARSE = "bad_response"  # the bytes were not an HTTP/1.x response


def status_kind(status: int) -> str:
    """The error kind of a non-2xx status: 'http_404', 'http_503'."""
    return f"http_{status}"


@dataclass
class Window:
    """One measurement window: the requests that completed inside it."""

    duration: float
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        """Successful responses per second."""
        return self.ok / self.duration if self.duration > 0 else 0.0

    def merge(self, other: Window) -> None:
        # Windows of different processes cover the same clock interval: the duration
        # is the longest of them, the counts add up.
        self.duration = max(self.duration, other.duration)
        self.ok += other.ok
        self.errors.update(other.errors)
        self.latency.merge(other.latency)

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration": self.duration,
            "ok": self.ok,
            "errors": dict(sorted(self.errors.items())),
            "throughput": self.throughput,
            "latency": self.latency.summary(),
            "histogram": self.latency.encode(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Window:
        return cls(
            duration=float(data["duration"]),
            ok=int(data["ok"]),
            errors=Counter({str(k): int(v) for k, v in data["errors"].items()}),
            latency=LatencyHistogram.decode(str(data["histogram"])),
        )


@dataclass
class LoadResult:
    """A whole run: its windows, and what was still in flight when it stopped."""

    url: str
    concurrency: int
    windows: list[Window]
    unfinished: int = 0  # requests sent but not answered when the run ended
    warmup_errors: Counter[str] = field(default_factory=Counter)
    engine: str = "builtin"
    cpu_seconds: float = 0.0  # CPU time of the load generator itself

    def merge(self, other: LoadResult) -> None:
        for mine, theirs in zip(self.windows, other.windows, strict=True):
            mine.merge(theirs)
        self.unfinished += other.unfinished
        self.warmup_errors.update(other.warmup_errors)
        self.cpu_seconds += other.cpu_seconds

    def total(self) -> Window:
        """All windows as one: the figures `twistbridge load` prints."""
        total = Window(duration=sum(w.duration for w in self.windows))
        for window in self.windows:
            total.ok += window.ok
            total.errors.update(window.errors)
            total.latency.merge(window.latency)
        return total

    def throughputs(self) -> list[float]:
        return [window.throughput for window in self.windows]

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "concurrency": self.concurrency,
            "engine": self.engine,
            "unfinished": self.unfinished,
            "warmup_errors": dict(sorted(self.warmup_errors.items())),
            "cpu_seconds": self.cpu_seconds,
            "windows": [window.to_dict() for window in self.windows],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadResult:
        return cls(
            url=str(data["url"]),
            concurrency=int(data["concurrency"]),
            windows=[Window.from_dict(w) for w in data["windows"]],
            unfinished=int(data.get("unfinished", 0)),
            warmup_errors=Counter(data.get("warmup_errors", {})),
            engine=str(data.get("engine", "builtin")),
            cpu_seconds=float(data.get("cpu_seconds", 0.0)),
        )


@dataclass(frozen=True)
class Spread:
    """Median and range of one figure over repeated runs."""

    median: float
    low: float
    high: float
    values: tuple[float, ...]

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        finite = [v for v in values if not math.isnan(v)]
        if not finite:
            nan = float("nan")
            return cls(nan, nan, nan, tuple(values))
        return cls(statistics.median(finite), min(finite), max(finite), tuple(values))

    def to_dict(self) -> dict[str, Any]:
        return {
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "values": list(self.values),
        }
