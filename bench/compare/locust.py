"""`twistbridge compare` with Locust driving the load from several machines: the
locustfile written for a plan (`--locustfile PATH`), and Locust's CSV read back into
the same Results, report and charts (`--from-locust CSV_PREFIX`).

The locustfile (templates/locustfile.py) names every request by its stage and its
measurement window, so that Locust's per-name table is the matrix itself: one row
per (scenario, target, concurrency, path, window). The lesson is left out: it times
one probe against blockers on one clock, which a crowd of load machines has not.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bench.compare.external import EXTERNAL_TARGETS, is_url
from bench.compare.results import PointResult, Results
from bench.compare.scenarios import Point, Profile, points
from bench.load.result import CONNECT_REFUSED, TIMEOUT, LoadResult, Window

# The scenarios a locustfile can carry (see the module's docstring).
LOCUST_SCENARIOS = ("throughput", "slow", "thread")
_PLACEHOLDER = 'json.loads("{}")'
# The request names of templates/locustfile.py: "<scenario> <target> c=<n> <path> <label>".
_NAME = re.compile(
    r"^(?P<scenario>\S+) (?P<target>\S+) c=(?P<concurrency>\d+) (?P<path>\S+) "
    r"(?:window (?P<window>\d+)/\d+ of \S+ s|(?P<other>warmup|drain))$"
)
# Locust's column for each percentile (in ms), and the percentile it stands for.
_PERCENTILE_COLUMNS = [
    ("50%", 50.0),
    ("66%", 66.0),
    ("75%", 75.0),
    ("80%", 80.0),
    ("90%", 90.0),
    ("95%", 95.0),
    ("98%", 98.0),
    ("99%", 99.0),
    ("99.9%", 99.9),
    ("99.99%", 99.99),
    ("100%", 100.0),
]


class LocustPlanError(ValueError):
    """What was asked cannot be a locustfile."""


class LocustCSVError(ValueError):
    """The CSV is not the output of a locustfile written by `--locustfile`."""


def stages(
    profile: Profile, scenarios: tuple[str, ...], targets: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Every point on every target, in the order `twistbridge compare` runs them."""
    return [
        {
            "scenario": point.scenario,
            "target": target,
            "concurrency": point.concurrency,
            "path": point.path,
            "warmup": point.warmup,
            "window": point.window,
            "ramp": point.ramp,
            "repeats": profile.repeats,
        }
        for point in points(profile, scenarios)
        for target in targets
    ]


def write_locustfile(
    path: Path,
    profile: Profile,
    scenarios: tuple[str, ...],
    targets: tuple[str, ...],
    wsgi_threads: int,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Write the locustfile of these scenarios on these targets (all the Site's
    mounts if none); the scenarios and targets it carries. LocustPlanError when it
    could carry none, or a target it cannot."""
    if any(is_url(t) for t in targets):
        raise LocustPlanError("with --locustfile the URL is Locust's --host")
    if "uvicorn" in targets:
        raise LocustPlanError(
            "uvicorn is not served behind the Site: not in a locustfile"
        )
    carried = tuple(s for s in scenarios if s in LOCUST_SCENARIOS)
    if not carried:
        raise LocustPlanError(f"a locustfile carries {', '.join(LOCUST_SCENARIOS)}")
    chosen = tuple(t for t in EXTERNAL_TARGETS if not targets or t in targets)
    plan = {
        "profile": profile.to_dict(),
        "scenarios": list(carried),
        "targets": list(chosen),
        "wsgi_threads": wsgi_threads,
        "timeout": profile.timeout,
        "stages": stages(profile, carried, chosen),
    }
    source = resources.files("bench").joinpath("compare/templates/locustfile.py")
    text = source.read_text()
    assert text.count(_PLACEHOLDER) == 1, "the locustfile template lost its plan line"
    path.write_text(text.replace(_PLACEHOLDER, f"json.loads({json.dumps(plan)!r})"))
    return carried, chosen


@dataclass
class _Row:
    count: int
    failures: int
    percentiles: list[tuple[float, float]]  # (percentile, milliseconds)
    min_ms: float


def _rows(path: Path) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    with path.open(newline="") as source:
        for row in csv.DictReader(source):
            if row["Name"] == "Aggregated":
                continue
            found = [
                (p, float(row[column]))
                for column, p in _PERCENTILE_COLUMNS
                if row.get(column) not in (None, "", "N/A")
            ]
            rows[row["Name"]] = _Row(
                int(row["Request Count"]),
                int(row["Failure Count"]),
                found,
                float(row["Min Response Time"] or 0),
            )
    return rows


def error_kind(error: str) -> str:
    """A Locust failure as one of the engine's error kinds where it is one."""
    inner = re.search(r"^\w+\('(.+)'\)$", error)
    kind = inner.group(1) if inner else error
    if re.fullmatch(r"http_\d{3}", kind):
        return kind
    if "ConnectionRefused" in kind:
        return CONNECT_REFUSED
    if "timeout" in kind.lower():
        return TIMEOUT
    return kind


def _failures(path: Path) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    if not path.exists():
        return found
    with path.open(newline="") as source:
        for row in csv.DictReader(source):
            kinds = found.setdefault(row["Name"], Counter())
            kinds[error_kind(row["Error"])] += int(row["Occurrences"])
    return found


def _window(row: _Row, errors: Counter[str], seconds: float) -> Window:
    """A window from Locust's percentiles: each share of the requests recorded at the
    percentile that bounds it, so that p50, p90, p99, p99.9 and max read back as
    Locust measured them (to its millisecond rounding)."""
    window = Window(duration=seconds, errors=errors)
    successes = row.count - row.failures
    window.ok = max(successes, 0)
    done = 0
    for percentile, ms in row.percentiles:
        upto = round(row.count * percentile / 100)
        if upto > done:
            window.latency.record_micros(round(ms * 1000), upto - done)
            done = upto
    return window


def read_plan(prefix: str) -> dict[str, Any]:
    path = Path(f"{prefix}_plan.json")
    if not path.is_file():
        raise LocustCSVError(
            f"{path} is missing: run the locustfile of `twistbridge compare "
            f"--locustfile` with `--csv {prefix}` on the master"
        )
    plan: dict[str, Any] = json.loads(path.read_text())
    return plan


def read_results(prefix: str) -> Results:
    """The Results of a Locust run of our locustfile, from its CSV files."""
    plan = read_plan(prefix)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.is_file():
        raise LocustCSVError(f"{stats} is missing: was Locust run with --csv {prefix}?")
    rows, failures = _rows(stats), _failures(Path(f"{prefix}_failures.csv"))
    windows: dict[tuple[str, str, int, str], dict[int, Window]] = {}
    warmup_errors: dict[tuple[str, str, int, str], Counter[str]] = {}
    for stage in plan["stages"]:
        key = (stage["scenario"], stage["target"], stage["concurrency"], stage["path"])
        windows[key], warmup_errors[key] = {}, Counter()
    for name, row in rows.items():
        match = _NAME.match(name)
        if match is None:
            raise LocustCSVError(f"{stats}: {name!r} is no request of our locustfile")
        key = (
            match["scenario"],
            match["target"],
            int(match["concurrency"]),
            match["path"],
        )
        if key not in windows:
            raise LocustCSVError(f"{stats}: {name!r} is not in {prefix}_plan.json")
        errors = failures.get(name, Counter())
        if match["window"] is not None:
            stage = next(s for s in plan["stages"] if _key(s) == key)
            window = _window(row, errors, float(stage["window"]))
            windows[key][int(match["window"])] = window
        elif match["other"] == "warmup":
            warmup_errors[key].update(errors)
    results = Results(meta=_meta(prefix, plan))
    for stage in plan["stages"]:
        key = _key(stage)
        found = windows[key]
        measured = [
            found.get(k, Window(duration=float(stage["window"])))
            for k in range(1, int(stage["repeats"]) + 1)
        ]
        if not any(w.ok or w.error_count for w in measured):
            results.notes.append(f"{' '.join(map(str, key))}: Locust measured nothing")
        point = Point(
            stage["scenario"],
            stage["path"],
            stage["concurrency"],
            stage["warmup"],
            stage["window"],
            stage["ramp"],
        )
        result = LoadResult(
            url=f"{plan.get('host', '')}/{stage['target']}{stage['path']}",
            concurrency=stage["concurrency"],
            windows=measured,
            warmup_errors=warmup_errors[key],
            engine="locust",
        )
        results.add(PointResult(point, stage["target"], result))
    return results


def _key(stage: dict[str, Any]) -> tuple[str, str, int, str]:
    return (stage["scenario"], stage["target"], stage["concurrency"], stage["path"])


def _meta(prefix: str, plan: dict[str, Any]) -> dict[str, Any]:
    from bench.compare.machine import versions

    workers = plan.get("workers", 1)
    return {
        "started": plan.get("started", ""),
        "finished": plan.get("finished", ""),
        "versions": {"locust": plan.get("locust", "?")} | versions(),
        "machine": {
            "load": f"Locust, {workers} worker(s); their machines are not recorded",
            "CSV": prefix,
        },
        "settings": {
            "targets": plan["targets"],
            "scenarios": plan["scenarios"],
            "wsgi_threads": plan["wsgi_threads"],
            "load_workers": workers,
            "external": plan.get("host"),
            "locust": plan.get("locust", "?"),
            "nofile": "open files: as each Locust process had them",
        },
        "profile": plan["profile"],
    }
