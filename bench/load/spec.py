"""What a load run is asked to do."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bench.load.http import Target


@dataclass(frozen=True)
class LoadSpec:
    """One run: `concurrency` connections, each sending one request at a time.

    Time-based runs (`duration`) are cut into `windows` consecutive windows of
    `duration` seconds after `warmup`; count-based runs (`requests`) send that many
    requests after the warm-up and have one window.
    """

    url: str
    concurrency: int = 16
    duration: float | None = 5.0
    requests: int | None = None
    windows: int = 1
    warmup: float = 1.0
    ramp: float = 0.0  # connection starts spread over this many seconds
    keepalive: bool = True
    timeout: float = 10.0
    workers: int = 1  # processes generating load, this one included

    def __post_init__(self) -> None:
        Target.parse(self.url)  # raises BadTarget with the reason
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if (self.duration is None) == (self.requests is None):
            raise ValueError("give either a duration or a number of requests")
        if self.duration is not None and self.duration <= 0:
            raise ValueError("duration must be positive")
        if self.requests is not None and self.requests < 1:
            raise ValueError("requests must be at least 1")
        if self.windows < 1 or (self.requests is not None and self.windows != 1):
            raise ValueError("windows must be 1 for a run counted in requests")
        if self.warmup < 0 or self.ramp < 0 or self.timeout <= 0:
            raise ValueError("warmup, ramp and timeout cannot be negative")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")

    @property
    def target(self) -> Target:
        return Target.parse(self.url)

    def share(self, index: int, count: int) -> LoadSpec:
        """This process's part of the run when `count` processes share it."""
        concurrency = _split(self.concurrency, index, count)
        requests = (
            None if self.requests is None else _split(self.requests, index, count)
        )
        return replace(self, concurrency=concurrency, requests=requests, workers=1)

    def expected_seconds(self) -> float:
        """How long a time-based run lasts (count-based: only its warm-up is known)."""
        return self.warmup + (self.duration or 0.0) * self.windows


def _split(total: int, index: int, count: int) -> int:
    return total // count + (1 if index < total % count else 0)
