"""The latency histogram: percentiles, merging, encoding — no server needed."""

from __future__ import annotations

import math
from random import Random

import pytest

from bench.load.histogram import HIGHEST_US, LatencyHistogram, percentile_key


def test_percentiles_of_known_values() -> None:
    histogram = LatencyHistogram()
    histogram.record_many([i / 1000 for i in range(1, 1001)])  # 1 ms .. 1 s
    assert histogram.count == 1000
    assert histogram.percentile(50) == pytest.approx(0.5, rel=1e-3)
    assert histogram.percentile(99) == pytest.approx(0.99, rel=1e-3)
    summary = histogram.summary()
    assert list(summary) == ["p50", "p90", "p99", "p99.9", "max", "mean"]
    assert summary["max"] == pytest.approx(1.0, rel=1e-3)
    assert summary["mean"] == pytest.approx(0.5005, rel=1e-3)


def test_the_mean_is_hdrhs_own() -> None:
    # Computed over the buckets that hold a value: the same figure as hdrh's walk.
    histogram = LatencyHistogram()
    random = Random(7)
    histogram.record_many([random.expovariate(200) for _ in range(5000)])
    expected = histogram.hdr.get_mean_value() / 1_000_000
    assert histogram.mean == pytest.approx(expected, rel=1e-12)


def test_empty_histogram_gives_nan_not_an_error() -> None:
    histogram = LatencyHistogram()
    assert histogram.count == 0
    assert all(math.isnan(value) for value in histogram.summary().values())
    assert histogram.encode() == ""
    assert LatencyHistogram.decode("").count == 0


def test_out_of_range_values_are_clamped_and_counted() -> None:
    histogram = LatencyHistogram()
    histogram.record(0.0)
    histogram.record(10 * 3600.0)
    assert histogram.count == 2
    assert histogram.max == pytest.approx(HIGHEST_US / 1_000_000, rel=1e-3)


def test_merge_adds_counts() -> None:
    first, second = LatencyHistogram(), LatencyHistogram()
    first.record_many([0.001] * 90)
    second.record_many([0.1] * 10)
    before = first.summary()["p99"]
    total = LatencyHistogram.merged([first, second])
    assert total.count == 100
    assert total.percentile(50) == pytest.approx(0.001, rel=1e-3)
    assert total.percentile(99) == pytest.approx(0.1, rel=1e-3)
    first.merge(second)  # the cached summary must not survive a change
    assert first.summary()["p99"] != before


def test_encode_decode_round_trip() -> None:
    histogram = LatencyHistogram()
    histogram.record_many([0.002, 0.003, 0.250, 1.5])
    histogram.record_micros(700, count=5)
    copy = LatencyHistogram.decode(histogram.encode())
    assert copy.count == histogram.count == 9
    assert copy.summary() == histogram.summary()


def test_percentile_key() -> None:
    assert [percentile_key(p) for p in (50.0, 99.0, 99.9)] == ["p50", "p99", "p99.9"]
