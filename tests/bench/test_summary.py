"""bench.summary: a committed run's JSON record as the rows `make bench` prints and
docs/BENCHMARKS.md shows, each ratio judged by the goal its own run set."""

from __future__ import annotations

import json

from bench.speed import RESULTS
from bench.summary import Record, rows


def _run(name: str) -> Record:
    record: Record = json.loads((RESULTS / name).read_text(encoding="utf-8"))
    return record


def test_ratios_are_judged_by_their_own_goal() -> None:
    latest = {row[0]: row for row in rows(_run("speed-20261129-114746.json"))}
    daphne = latest["/asgi/hello vs Daphne (goal >= 2)"]
    assert daphne == ("/asgi/hello vs Daphne (goal >= 2)", "2.63 (2.52-2.63)", "met")
    assert latest["/asgi/hello vs granian ASGI, 1 worker"][2] == ""  # no goal set
    # 1.02 met the goal of 0.9 the run of 2026-11-24 set, not today's 1.5.
    early = {row[0]: row for row in rows(_run("speed-20261124-082526.json"))}
    assert early["/native/hello vs bare twisted.web leaf (goal >= 0.9)"][1:] == (
        "1.02 (0.91-1.12)",
        "met",
    )


def test_a_record_has_the_rows_of_what_it_measured() -> None:
    early = [row[0] for row in rows(_run("speed-20261124-082526.json"))]
    assert not [name for name in early if "upload" in name or "burst" in name]
    part = [row[0] for row in rows(_run("uploads-workers-20261129-092232.json"))]
    assert part[0] == "twistbridge /asgi: 50 MiB upload to disk"
    assert part[-1] == "/native/hello, --workers 2 vs 1 (2 cores shared with wrk)"
    assert not [name for name in part if "busy" in name]


def test_a_proxy_pool_run_has_a_row_per_mount_and_scheme() -> None:
    run = rows(_run("proxy-pool-20261206-113215.json"))
    assert len(run) == 8  # four mounts, http and https
    native = {row[0]: row[1] for row in run}
    assert (
        native["/native/proxy over https: pooled ÷ one connection a request"] == "7.08"
    )


def test_a_run_with_http2_judges_it_against_hypercorn() -> None:
    run = {row[0]: row for row in rows(_run("speed-20261206-142027.json"))}
    goal = run["HTTP/2 /asgi/hello vs hypercorn (goal >= 1.5)"]
    assert goal[1:] == ("1.31 (1.04-1.46)", "NOT met")
    assert run["twistbridge /asgi HTTP/2 req/s"][1].endswith(", 0 failed")
    assert run["hypercorn HTTP/2 req/s"][1].endswith(", 146 failed")  # in round 3
    assert run["/asgi/hello: access log on vs off"][2] == ""  # a lesson, no goal
