"""Everything a compare run measured, its aggregation (median, min-max, ratio to the
fastest target of the same point), and its JSON and CSV forms."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.compare.lesson import LessonRun
from bench.compare.scenarios import Point
from bench.load.histogram import PERCENTILES, percentile_key
from bench.load.result import LoadResult, Spread

LATENCY_KEYS = [percentile_key(p) for p in PERCENTILES] + ["max"]


@dataclass
class PointResult:
    point: Point
    target: str
    result: LoadResult
    ratio: float = math.nan  # median throughput / the best target's, same point

    def throughput(self) -> Spread:
        return Spread.of(self.result.throughputs())

    def latency(self, key: str) -> Spread:
        """A latency figure (seconds) over the windows."""
        return Spread.of([w.latency.summary()[key] for w in self.result.windows])

    def errors(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for window in self.result.windows:
            counts.update(window.errors)
        return dict(sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.point.scenario,
            "path": self.point.path,
            "concurrency": self.point.concurrency,
            "target": self.target,
            "warmup": self.point.warmup,
            "window": self.point.window,
            "ramp": self.point.ramp,
            "throughput": self.throughput().to_dict(),
            "ratio_to_fastest": self.ratio,
            "latency": {key: self.latency(key).to_dict() for key in LATENCY_KEYS},
            "errors": self.errors(),
            "raw": self.result.to_dict(),
        }


@dataclass
class LessonResult:
    target: str
    mode: str
    runs: list[LessonRun]

    def p(self, key: str) -> Spread:
        return Spread.of([run.latency().summary()[key] for run in self.runs])

    def typical(self) -> LessonRun:
        """The run whose p99 is the median one: the one the timeline shows."""
        ordered = sorted(
            self.runs, key=lambda run: _finite(run.latency().percentile(99))
        )
        return ordered[(len(ordered) - 1) // 2]

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "mode": self.mode,
            "latency": {key: self.p(key).to_dict() for key in LATENCY_KEYS},
            "runs": [run.to_dict() for run in self.runs],
        }


def _finite(value: float) -> float:
    return -1.0 if math.isnan(value) else value


@dataclass
class Results:
    meta: dict[str, Any]
    points: list[PointResult] = field(default_factory=list)
    lessons: list[LessonResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    failure: str | None = None

    def add(self, point: PointResult) -> None:
        self.points.append(point)
        self._rank(point.point)

    def _rank(self, point: Point) -> None:
        # Ratios only between targets measured in this run, at this very point.
        same = [p for p in self.points if p.point.key == point.key]
        best = max((p.throughput().median for p in same), default=math.nan)
        for p in same:
            median = p.throughput().median
            p.ratio = median / best if best and best > 0 else math.nan

    def lesson(self, target: str, mode: str) -> LessonResult:
        for lesson in self.lessons:
            if lesson.target == target and lesson.mode == mode:
                return lesson
        lesson = LessonResult(target, mode, [])
        self.lessons.append(lesson)
        return lesson

    def find(self, scenario: str, concurrency: int, target: str) -> PointResult | None:
        for p in self.points:
            if (p.point.scenario, p.point.concurrency, p.target) == (
                scenario,
                concurrency,
                target,
            ):
                return p
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "interrupted": self.interrupted,
            "failure": self.failure,
            "notes": self.notes,
            "points": [p.to_dict() for p in self.points],
            "lessons": [lesson.to_dict() for lesson in self.lessons],
        }

    def write_json(self, path: Path) -> None:
        # NaN is not JSON: figures that could not be measured are null.
        text = json.dumps(_clean(self.to_dict()), indent=2, allow_nan=False)
        path.write_text(text + "\n")

    def write_csv(self, path: Path) -> None:
        """One row per measurement window (and per lesson run): the raw figures."""
        columns = ["scenario", "path", "target", "concurrency", "run", "duration_s"]
        columns += ["ok", "errors", "throughput_rps", "ratio_to_fastest"]
        columns += [f"{key}_ms" for key in LATENCY_KEYS] + ["error_kinds"]
        with path.open("w", newline="") as sink:
            writer = csv.writer(sink)
            writer.writerow(columns)
            for p in self.points:
                for index, window in enumerate(p.result.windows):
                    figures = window.latency.summary()
                    writer.writerow(
                        [p.point.scenario, p.point.path, p.target, p.point.concurrency]
                        + [index, f"{window.duration:.3f}", window.ok]
                        + [window.error_count, f"{window.throughput:.2f}"]
                        + [_num(p.ratio, 4)]
                        + [_num(figures[key] * 1000, 3) for key in LATENCY_KEYS]
                        + [_kinds(window.errors)]
                    )
            for lesson in self.lessons:
                for index, run in enumerate(lesson.runs):
                    figures = run.latency().summary()
                    start, end = run.window
                    errors = run.errors()
                    writer.writerow(
                        [f"lesson {lesson.mode}", "/clock", lesson.target, run.blockers]
                        + [index, f"{end - start:.3f}", run.latency().count]
                        + [sum(errors.values()), "", ""]
                        + [_num(figures[key] * 1000, 3) for key in LATENCY_KEYS]
                        + [_kinds(errors)]
                    )


def _num(value: float, digits: int) -> str:
    return "" if math.isnan(value) else f"{value:.{digits}f}"


def _kinds(errors: dict[str, int]) -> str:
    return ";".join(f"{kind}={count}" for kind, count in sorted(errors.items()))


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
