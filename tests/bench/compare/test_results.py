"""Aggregation across targets: medians, ranges, ratios to the fastest, JSON without
NaN, CSV rows — from hand-made results, no server."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from bench.compare.lesson import LessonRun
from bench.compare.results import PointResult, Results
from bench.compare.scenarios import PROFILES, SCENARIOS, Point, points
from bench.load.result import LoadResult, Window

POINT = Point("throughput", "/hello", 16, 0.1, 1.0, 0.0)


def _result(*oks: int) -> LoadResult:
    windows = []
    for ok in oks:
        window = Window(duration=1.0, ok=ok)
        window.latency.record_many([0.002] * ok)
        windows.append(window)
    return LoadResult("http://127.0.0.1:1/hello", 16, windows)


def _results() -> Results:
    results = Results(meta={"profile": "test"})
    results.add(PointResult(POINT, "native", _result(90, 100, 120)))
    results.add(PointResult(POINT, "wsgi", _result(40, 50, 45)))
    results.add(PointResult(POINT, "asgi", _result(0, 0, 0)))
    return results


def test_median_range_and_ratio_to_fastest() -> None:
    results = _results()
    native = results.find("throughput", 16, "native")
    wsgi = results.find("throughput", 16, "wsgi")
    assert native is not None and wsgi is not None
    spread = native.throughput()
    assert (spread.median, spread.low, spread.high) == (100.0, 90.0, 120.0)
    assert native.ratio == 1.0
    assert wsgi.ratio == 0.45
    assert results.find("throughput", 16, "asgi").ratio == 0.0  # type: ignore[union-attr]
    assert results.find("throughput", 64, "native") is None


def test_ratios_follow_a_new_fastest() -> None:
    results = _results()
    results.add(PointResult(POINT, "uvicorn", _result(200, 200, 200)))
    assert results.find("throughput", 16, "native").ratio == 0.5  # type: ignore[union-attr]


def test_json_is_strict_and_csv_has_every_window(tmp_path: Path) -> None:
    results = _results()
    run = LessonRun("native", "busy", 2, 0.1)
    run.slow = [(0.1, 0.2, "200"), (0.1, 0.25, "200")]
    run.probes = [(0.0, 0.001, "200"), (0.15, 0.05, "200"), (0.2, math.nan, "timeout")]
    results.lesson("native", "busy").runs.append(run)
    results.write_json(tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())  # no NaN: strict JSON
    asgi = next(p for p in data["points"] if p["target"] == "asgi")
    assert asgi["latency"]["p99"]["median"] is None
    lesson = data["lessons"][0]["runs"][0]
    assert lesson["probes_in_window"] == 2
    assert lesson["errors"] == {"timeout": 1}
    results.write_csv(tmp_path / "r.csv")
    with (tmp_path / "r.csv").open() as source:
        rows = list(csv.DictReader(source))
    assert len(rows) == 3 * 3 + 1


def test_every_profile_has_every_scenario() -> None:
    for profile in PROFILES.values():
        found = {p.scenario for p in points(profile, SCENARIOS)}
        assert found == {"throughput", "slow", "thread"}
