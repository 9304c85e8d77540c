"""Aggregation of load results: windows, merging between processes, spreads."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from bench.load.result import LoadResult, Spread, Window, status_kind


def _window(ok: int, latency: float, duration: float = 2.0, **errors: int) -> Window:
    window = Window(duration=duration, ok=ok, errors=Counter(errors))
    window.latency.record_many([latency] * ok)
    return window


def test_window_throughput_and_errors() -> None:
    window = _window(200, 0.01, timeout=3, http_503=2)
    assert window.throughput == 100.0
    assert window.error_count == 5
    assert Window(duration=0).throughput == 0.0


def test_windows_of_two_processes_add_up() -> None:
    mine = LoadResult(
        "http://127.0.0.1:1/x", 4, [_window(100, 0.01), _window(50, 0.02)]
    )
    theirs = LoadResult(
        "http://127.0.0.1:1/x", 4, [_window(100, 0.03), _window(150, 0.04)]
    )
    theirs.windows[0].errors["closed"] = 1
    theirs.unfinished, theirs.cpu_seconds = 3, 1.5
    mine.merge(theirs)
    assert [w.ok for w in mine.windows] == [200, 200]
    assert mine.throughputs() == [100.0, 100.0]
    assert mine.unfinished == 3
    assert mine.cpu_seconds == 1.5
    total = mine.total()
    assert total.ok == 400 and total.duration == 4.0
    assert total.errors == Counter(closed=1)
    assert total.latency.count == 400


def test_merge_needs_the_same_windows() -> None:
    one = LoadResult("http://127.0.0.1:1/x", 1, [_window(1, 0.1)])
    two = LoadResult("http://127.0.0.1:1/x", 1, [_window(1, 0.1), _window(1, 0.1)])
    with pytest.raises(ValueError):
        one.merge(two)


def test_result_round_trips_through_a_dict() -> None:
    result = LoadResult("http://127.0.0.1:1/x", 2, [_window(10, 0.005, http_404=1)])
    result.warmup_errors["connect_refused"] = 2
    copy = LoadResult.from_dict(result.to_dict())
    assert copy.to_dict() == result.to_dict()
    assert copy.windows[0].latency.count == 10


def test_spread_median_and_range() -> None:
    spread = Spread.of([3.0, 1.0, 2.0, math.nan])
    assert (spread.median, spread.low, spread.high) == (2.0, 1.0, 3.0)
    assert math.isnan(Spread.of([]).median)


def test_status_kind() -> None:
    assert status_kind(404) == "http_404"
