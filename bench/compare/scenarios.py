"""The scenario matrix of `twistbridge compare`, and the profiles that size it.

throughput: `hello` at rising concurrency — what each stack costs per request.
slow:       `busy?seconds=S` — the WSGI pool caps throughput at threads / S, while
            Deferreds and coroutines wait without holding anything.
thread:     `busy/thread?seconds=S` — the sleep handed to a worker thread.
lesson:     latency of `clock` while N `busy/blocking` requests are in flight on the
            same mount, against the same with `busy` (the chapter's examples 4-9/4-10).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

SCENARIOS = ("throughput", "slow", "thread", "lesson")


@dataclass(frozen=True)
class Profile:
    name: str
    repeats: int  # measurement windows per point
    hello_concurrency: tuple[int, ...]
    hello_warmup: float
    hello_window: float
    busy_seconds: float
    busy_concurrency: tuple[int, ...]
    thread_concurrency: tuple[int, ...]
    # A thread pool answers `busy` in bursts, one every S seconds: windows last a whole
    # number of S, and the warm-up ends half-way between two bursts, so that every
    # window holds the same number of bursts. Connection starts are spread over the
    # first S of the warm-up (no thundering herd).
    slow_warmup: float
    slow_window: float
    lesson_blockers: int
    lesson_seconds: float
    lesson_interval: float  # one `clock` probe every so many seconds
    lesson_repeats: int
    timeout: float = 60.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


PROFILES: dict[str, Profile] = {
    # Under 3 minutes on two cores, servers included.
    "quick": Profile(
        name="quick",
        repeats=3,
        hello_concurrency=(1, 16, 64, 256),
        hello_warmup=0.3,
        hello_window=0.7,
        busy_seconds=1.0,
        busy_concurrency=(10, 100, 1000),
        thread_concurrency=(100,),
        slow_warmup=1.5,
        slow_window=1.0,
        lesson_blockers=4,
        lesson_seconds=0.3,
        lesson_interval=0.02,
        lesson_repeats=3,
    ),
    "full": Profile(
        name="full",
        repeats=5,
        hello_concurrency=(1, 4, 16, 64, 256, 1024),
        hello_warmup=1.0,
        hello_window=3.0,
        busy_seconds=1.0,
        busy_concurrency=(10, 100, 1000),
        thread_concurrency=(10, 100, 1000),
        slow_warmup=2.5,
        slow_window=3.0,
        lesson_blockers=5,
        lesson_seconds=1.0,
        lesson_interval=0.02,
        lesson_repeats=5,
    ),
    # Seconds in all: for the test suite, which checks the pipeline, not the figures.
    "test": Profile(
        name="test",
        repeats=2,
        hello_concurrency=(1, 4),
        hello_warmup=0.1,
        hello_window=0.15,
        busy_seconds=0.1,
        busy_concurrency=(2, 8),
        thread_concurrency=(4,),
        slow_warmup=0.15,
        slow_window=0.2,
        lesson_blockers=2,
        lesson_seconds=0.1,
        lesson_interval=0.02,
        lesson_repeats=1,
        timeout=10.0,
    ),
}


def with_repeats(profile: Profile, repeats: int | None) -> Profile:
    if repeats is None:
        return profile
    return replace(profile, repeats=repeats, lesson_repeats=repeats)


@dataclass(frozen=True)
class Point:
    """One load point: a path on every target at one concurrency."""

    scenario: str
    path: str  # under the mount, e.g. "/busy?seconds=1"
    concurrency: int
    warmup: float
    window: float
    ramp: float

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.scenario, self.path, self.concurrency)


def points(profile: Profile, scenarios: tuple[str, ...]) -> list[Point]:
    """The load points of the chosen scenarios, in the order they run."""
    found: list[Point] = []
    p = profile
    if "throughput" in scenarios:
        found += [
            Point("throughput", "/hello", c, p.hello_warmup, p.hello_window, 0.0)
            for c in p.hello_concurrency
        ]
    seconds = f"{p.busy_seconds:g}"
    ramp = min(p.busy_seconds, p.slow_warmup)
    if "slow" in scenarios:
        found += [
            Point(
                "slow",
                f"/busy?seconds={seconds}",
                c,
                p.slow_warmup,
                p.slow_window,
                ramp,
            )
            for c in p.busy_concurrency
        ]
    if "thread" in scenarios:
        path = f"/busy/thread?seconds={seconds}"
        found += [
            Point("thread", path, c, p.slow_warmup, p.slow_window, ramp)
            for c in p.thread_concurrency
        ]
    return found


def estimated_seconds(
    profile: Profile, scenarios: tuple[str, ...], targets: int
) -> float:
    """A rough run time, for the progress display."""
    total = sum(
        pt.warmup + pt.window * profile.repeats for pt in points(profile, scenarios)
    )
    if "lesson" in scenarios:
        stall = profile.lesson_blockers * profile.lesson_seconds
        total += profile.lesson_repeats * (stall + profile.lesson_seconds + 1.0)
    return total * targets
