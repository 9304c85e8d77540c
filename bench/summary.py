"""One benchmark run as rows of (measure, figure, goal): what `make bench` prints at the
end and what docs/BENCHMARKS.md shows, read from the run's JSON record
(bench/results/speed-<time>.json), so that the page and the terminal judge a run by the
same goals. Records written before a measure existed simply lack its rows.
"""

from __future__ import annotations

import re
from typing import Any

from bench import burst
from bench.measure import spread

Row = tuple[str, str, str]  # measure, figure, goal (and whether it was met), or ""
Record = dict[str, Any]  # a speed-<time>.json, as json.load reads it

# A ratio's goal is in its label, as the run wrote it: goals have moved between runs.
_GOAL = re.compile(r"\(goal >= ([0-9.]+)\)")
WAITING_P99_S = 2.4
WAITING_RSS_MB = 300
BUSY_500_P99_S = 1.2
UPLOAD_RSS_GROWTH_MB = 10
STARTUP_S = 1.5
WORKERS_RATIO = "/native/hello, --workers 2 vs 1 (2 cores shared with wrk)"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _range(values: dict[str, float], digits: int) -> str:
    low, high = f"{values['min']:.{digits}f}", f"{values['max']:.{digits}f}"
    return f"{values['median']:.{digits}f} ({low}-{high})"


def ratio_goal(label: str) -> float | None:
    found = _GOAL.search(label)
    return float(found.group(1)) if found else None


def _throughput(record: Record) -> list[Row]:
    rows = []
    for name, values in record.get("hello_req_per_s", {}).items():
        rows.append((f"{name} req/s", _range(spread(values), 0), ""))
    return rows + _ratio_rows(record.get("ratios", {}))


def _ratio_rows(ratios: dict[str, dict[str, float]]) -> list[Row]:
    """Ratios by label, each judged against the goal its label names, if any."""
    rows = []
    for label, ratio in ratios.items():
        goal = ratio_goal(label)
        met = "" if goal is None else verdict(ratio["median"] >= goal)
        rows.append((label, _range(ratio, 2), met))
    return rows


def _waiting(record: Record) -> list[Row]:
    rows = []
    for name, fig in record.get("waiting", {}).items():
        count = record["settings"]["waiting"]
        ok = fig["p99_s"] <= WAITING_P99_S and fig["rss_mb"] < WAITING_RSS_MB
        rows.append((
            f"{name}: {count} x busy 2 s",
            f"p99 {fig['p99_s']:.2f} s, RSS {fig['rss_mb']:.0f} MB, "
            f"{fig['answered']:.0f} answered, {fig['errors']:.0f} errors",
            verdict(ok and not fig["errors"]),
        ))  # fmt: skip
    if busy := record.get("asgi_busy_500"):
        met = verdict(busy["p99_s"] < BUSY_500_P99_S)
        rows.append(("/asgi 500 x busy 1 s", f"p99 {busy['p99_s']:.2f} s", met))
    return rows


def _uploads(record: Record) -> list[Row]:
    rows = []
    for name, upload in record.get("uploads", {}).items():
        peak, before = upload["peak_rss_mb"], upload["rss_before_mb"]
        rows.append((
            f"{name}: 50 MiB upload to disk",
            f"{_range(spread(upload['mib_per_s']), 0)} MiB/s, "
            f"peak RSS {peak:.0f} MB (from {before:.0f})",
            verdict(peak - before < UPLOAD_RSS_GROWTH_MB),
        ))  # fmt: skip
    for label, ratio in record.get("upload_ratios", {}).items():
        rows.append((f"upload speed {label}", _range(ratio, 2), ""))
    return rows


def _rest(record: Record) -> list[Row]:
    rows = []
    for name, fig in record.get("burst", {}).items():
        mine = name.startswith("twistbridge")
        goal = f"{verdict(burst.met(fig))} ({burst.GOAL})" if mine else "reference"
        rows.append((f"{name}: burst of {fig['connections']:.0f}", burst.describe(fig), goal))  # fmt: skip
    rows += _burst_against(record.get("burst", {}))
    if startup := record.get("startup_s"):
        start = spread(startup)
        met = verdict(start["median"] < STARTUP_S)
        rows.append(("start-up to first answer", f"{_range(start, 2)} s", met))
    for name, values in record.get("workers_req_per_s", {}).items():
        rows.append((f"{name} req/s", _range(spread(values), 0), ""))
    if workers := record.get("workers_ratio"):
        rows.append((WORKERS_RATIO, _range(workers, 2), ""))
    return rows


def _burst_against(figures: dict[str, dict[str, float]]) -> list[Row]:
    """Issue 21's burst goal: each of ours against the reference in the same run."""
    reference = figures.get(burst.REFERENCE)
    if not reference:
        return []
    rows = []
    for name, fig in figures.items():
        if name != burst.REFERENCE:
            done = reference["completed"]
            times = fig["completed"] / done if done else 0.0
            figure = f"{times:.2f}x completed, p99 {fig['p99_s']:.2f} vs {reference['p99_s']:.2f} s"  # fmt: skip
            goal = (
                f"{verdict(burst.met_against(fig, reference))} ({burst.GOAL_AGAINST})"
            )
            rows.append((f"{name}: burst vs {burst.REFERENCE}", figure, goal))
    return rows


def rows(record: Record) -> list[Row]:
    """Every figure of a run, in the order `make bench` measures them."""
    return [
        *_throughput(record),
        *_waiting(record),
        *_uploads(record),
        *_rest(record),
        *_h2(record),
        *_pooling(record),
    ]


def _h2(record: Record) -> list[Row]:
    """bench/h2.py: HTTP/2 over TLS, h2load against each server in the same rounds."""
    rows = []
    for name, fig in record.get("h2", {}).items():
        failed = sum(fig["failed"])
        rows.append((
            f"{name} HTTP/2 req/s",
            f"{_range(spread(fig['req_per_s']), 0)}, {failed:.0f} failed",
            "",
        ))  # fmt: skip
    return rows + _ratio_rows(record.get("h2_ratios", {}))


def _pooling(record: Record) -> list[Row]:
    """bench/proxy_pool.py: each mount's /proxy with its pool of upstream connections
    against one connection a request, in the same rounds."""
    return [
        (
            f"/{mount}/proxy over {scheme}: pooled ÷ one connection a request",
            f"{figures['pooled_over_unpooled']:.2f}",
            "",
        )
        for scheme in ("http", "https")
        for mount, figures in record.get(scheme, {}).items()
    ]
