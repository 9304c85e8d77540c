"""`make bench`: twistbridge against its anchors, as ratios measured in one run.

Every server runs pinned to core 0 and wrk to core 1 (this process pins itself, wrk
inherits it), except `serve --workers 2` against `--workers 1`, which may use both
cores; targets are measured in interleaved rounds, so that drift on the
machine hits them all alike; each figure is the median of the rounds, with min-max.

    python -m bench.speed [--rounds 3] [--duration 5] [--quick]

The anchors: a bare twisted.web leaf, the stock WSGIResource, Daphne, uvicorn
(httptools and h11) and granian (ASGI on uvloop, and WSGI; one worker each); then the
many-waiting measures, the 10,000-connection burst of `bench.burst`, uploads
(`bench.uploads`) and HTTP/2 over TLS against hypercorn and granian (`bench.h2`).

Results go to bench/results/speed-<time>.json, with versions and machine.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from bench import burst, h2, summary
from bench.load.limits import raise_nofile
from bench.measure import (
    PY,
    Server,
    Spread,
    burst_run,
    console,
    many_waiting,
    spread,
    startup,
    throughput,
)

RESULTS = Path(__file__).resolve().parent / "results"


def _servers(log: Path) -> list[Server]:
    # No access log on any server but one row (and Daphne, which has no switch for
    # it): uvicorn and granian run without theirs, and a pair is only a pair when
    # both do the same work. "access log on" shows what ours costs.
    serve = [PY, "-m", "twisted_host", "serve", "--uvicorn-port", "0"]
    logging = [*serve, "--access-log-file", str(log)]  # the default: access log on
    serve += ["--no-access-log"]
    uvicorn = [PY, "-m", "uvicorn", "bench.anchors:starlette_app", "--loop", "uvloop"]
    uvicorn += ["--no-access-log", "--log-level", "warning"]
    granian = [
        str(Path(PY).parent / "granian"),
        "--host",
        "127.0.0.1",
        "--workers",
        "1",
    ]
    granian += ["--no-access-log", "--log-level", "warning"]
    return [
        Server("twistbridge /native", [*serve, "--port", "8201"], 8201, "/native/hello"),
        Server("bare twisted.web leaf", [PY, "-m", "bench.anchors", "bare-twisted", "8202"], 8202, "/"),
        Server("twistbridge /wsgi", [*serve, "--port", "8203"], 8203, "/wsgi/hello"),
        Server("stock WSGIResource", [PY, "-m", "bench.anchors", "stock-wsgi", "8204"], 8204, "/wsgi/hello"),
        Server("twistbridge /asgi", [*serve, "--port", "8205"], 8205, "/asgi/hello"),
        Server("Daphne", [str(Path(PY).parent / "daphne"), "-b", "127.0.0.1", "-p", "8206", "bench.anchors:starlette_app"], 8206, "/asgi/hello"),
        Server("uvicorn httptools", [*uvicorn, "--http", "httptools", "--port", "8207"], 8207, "/asgi/hello"),
        Server("uvicorn h11", [*uvicorn, "--http", "h11", "--port", "8208"], 8208, "/asgi/hello"),
        Server("granian ASGI", [*granian, "--interface", "asgi", "--loop", "uvloop", "--port", "8209", "bench.anchors:starlette_app"], 8209, "/asgi/hello"),
        Server("granian WSGI", [*granian, "--interface", "wsgi", "--port", "8210", "bench.anchors:flask_app"], 8210, "/wsgi/hello"),
        # What the C parser buys: the same Site on Twisted's own parser.
        Server("twistbridge /native, Twisted's parser", [*serve, "--http", "twisted", "--port", "8211"], 8211, "/native/hello"),
        Server("twistbridge /asgi, Twisted's parser", [*serve, "--http", "twisted", "--port", "8212"], 8212, "/asgi/hello"),
        # What the Request costs (docs/LANES.md): the bridges on the resource lane.
        Server("twistbridge /asgi, resource lane", [*serve, "--no-direct-lane", "--port", "8213"], 8213, "/asgi/hello"),
        Server("twistbridge /wsgi, resource lane", [*serve, "--no-direct-lane", "--port", "8214"], 8214, "/wsgi/hello"),
        Server("twistbridge /asgi, access log on", [*logging, "--port", "8215"], 8215, "/asgi/hello"),
    ]  # fmt: skip


def _worker_servers(log: Path) -> list[Server]:
    # Not pinned: a second worker needs the second core. wrk stays on core 1, so on
    # a 2-core machine that worker shares its core with the load generator: the
    # ratio is a floor, below what a machine with cores to spare for the load shows.
    serve = [PY, "-m", "twisted_host", "serve", "--uvicorn-port", "0"]
    serve += ["--access-log-file", str(log)]
    return [
        Server(WORKERS[n], [*serve, "--port", str(port), "--workers", str(n)], port, "/native/hello", pinned=False)
        for n, port in ((1, 8209), (2, 8210))
    ]  # fmt: skip


WORKERS = {1: "twistbridge /native, 1 worker", 2: "twistbridge /native, 2 workers"}

# Issue 21's goals first; then the ratios that must not get worse, and the lessons.
RATIOS = [
    ("/asgi/hello vs uvicorn httptools (goal >= 1.2)", "twistbridge /asgi", "uvicorn httptools", 1.2),
    ("/wsgi/hello vs granian WSGI, 1 worker (goal >= 1.1)", "twistbridge /wsgi", "granian WSGI", 1.1),
    ("/native/hello vs bare twisted.web leaf (goal >= 1.5)", "twistbridge /native", "bare twisted.web leaf", 1.5),
    ("/wsgi/hello vs stock WSGIResource (goal >= 1.2)", "twistbridge /wsgi", "stock WSGIResource", 1.2),
    ("/asgi/hello vs Daphne (goal >= 2)", "twistbridge /asgi", "Daphne", 2.0),
    ("/asgi/hello: direct vs resource lane", "twistbridge /asgi", "twistbridge /asgi, resource lane", 0.0),
    ("/wsgi/hello: direct vs resource lane", "twistbridge /wsgi", "twistbridge /wsgi, resource lane", 0.0),
    ("/asgi/hello: access log on vs off", "twistbridge /asgi, access log on", "twistbridge /asgi", 0.0),
    ("/asgi/hello vs granian ASGI, 1 worker", "twistbridge /asgi", "granian ASGI", 0.0),
    ("/native/hello: httptools vs Twisted's parser", "twistbridge /native", "twistbridge /native, Twisted's parser", 0.0),
    ("/asgi/hello: httptools vs Twisted's parser", "twistbridge /asgi", "twistbridge /asgi, Twisted's parser", 0.0),
]  # fmt: skip


WAITING_TARGETS = [
    ("twistbridge /native", "/native/busy"),
    ("twistbridge /asgi", "/asgi/busy"),
    ("uvicorn httptools", "/asgi/busy"),  # the reference, same app
]
VERSIONS = (
    "twisted",
    "flask",
    "starlette",
    "uvicorn",
    "daphne",
    "granian",
    "uvloop",
    "gunicorn",
    "hypercorn",
    "h2",
)


@dataclass(frozen=True)
class Settings:
    rounds: int
    duration: float
    waiting: int
    burst: int  # connections of the burst


@dataclass(frozen=True)
class Figures:
    """Everything one run measures, as written to the JSON file."""

    hello: dict[str, list[float]]  # req/s of each server, one per round
    ratios: dict[str, Spread]  # by RATIOS label
    waiting: dict[str, dict[str, float]]  # by server name, see many_waiting
    asgi_busy_500: dict[str, float]
    startup_s: list[float]
    uploads: dict[str, dict[str, Any]]  # by server name, see bench.uploads.measure
    upload_ratios: dict[str, Spread]  # by bench.uploads.PAIRS label
    workers: dict[str, list[float]]  # req/s of --workers 1 and 2, one per round
    burst: dict[str, dict[str, float]]  # by server name, see bench.burst
    h2: dict[str, dict[str, list[float]]]  # by server name, see bench.h2; {}: no h2load


def _pin_load() -> None:
    """Load on core 1, servers on core 0 (on one core, both share it)."""
    os.sched_setaffinity(0, {1} if (os.cpu_count() or 1) > 1 else {0})


def _hello_ratios(hello: dict[str, list[float]]) -> dict[str, Spread]:
    """Each RATIOS pair as the spread of its per-round ratios: both figures of a
    ratio come from the same round, so drift on the machine hits them alike."""
    ratios = {}
    for label, mine, theirs, _goal in RATIOS:
        pairs = [a / b for a, b in zip(hello[mine], hello[theirs], strict=True) if b]
        ratios[label] = spread(pairs)
    return ratios


def _upload_ratios(
    figures: dict[str, dict[str, Any]], pairs: list[tuple[str, str, str]]
) -> dict[str, Spread]:
    """Ours over the reference's upload speed, round by round (as _hello_ratios)."""
    ratios = {}
    for label, mine, theirs in pairs:
        speeds = zip(
            figures[mine]["mib_per_s"], figures[theirs]["mib_per_s"], strict=True
        )
        ratios[label] = spread([a / b for a, b in speeds if b])
    return ratios


def _measure(settings: Settings, log: Path) -> Figures:
    """Run every measure in turn; servers write their access log to `log`."""
    servers = _servers(log)
    by_name = {server.name: server for server in servers}
    hello = throughput(servers, settings.rounds, settings.duration)
    console.print(
        f"{settings.waiting} concurrent busy?seconds=2 (file descriptor limit raised to the hard limit for this bench)"
    )
    waiting = {
        name: many_waiting(by_name[name], path, settings.waiting, 2.0)
        for name, path in WAITING_TARGETS
    }
    bridge_busy = many_waiting(by_name["twistbridge /asgi"], "/asgi/busy", 500, 1.0)
    start_seconds = startup(by_name["twistbridge /native"])
    console.print(f"burst: wrk, {settings.burst} connections x busy?seconds=2 for 10 s")
    bursts = {
        name: burst_run(by_name[name], path, settings.burst)
        for name, path in burst.TARGETS
    }
    workers = throughput(_worker_servers(log), settings.rounds, settings.duration)
    # Imported here: bench.uploads builds on this module's servers and spreads.
    from bench import uploads

    console.print(f"{uploads.BODY_MIB} MiB uploads streamed to disk")
    upload_figures = uploads.measure(settings.rounds)
    h2_figures: dict[str, dict[str, list[float]]] = {}
    if h2.h2load() is None:
        console.print("HTTP/2: skipped, no h2load (Debian's nghttp2-client)")
    else:
        console.print(f"HTTP/2 over TLS: h2load -c{h2.CONNECTIONS} -m{h2.STREAMS}")
        h2_figures = h2.measure(settings.rounds, settings.duration)
    return Figures(
        hello,
        _hello_ratios(hello),
        waiting,
        bridge_busy,
        start_seconds,
        upload_figures,
        _upload_ratios(upload_figures, uploads.PAIRS),
        workers,
        bursts,
        h2_figures,
    )


def _workers_ratio(workers: dict[str, list[float]]) -> Spread:
    one, two = workers[WORKERS[1]], workers[WORKERS[2]]
    return spread([b / a for a, b in zip(one, two, strict=True) if a])


def _record(figures: Figures, settings: Settings) -> dict[str, Any]:
    """The run as bench/results/speed-<time>.json holds it, with versions and machine."""
    return {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {name: metadata.version(name) for name in VERSIONS},
        "settings": {"rounds": settings.rounds, "duration": settings.duration, "concurrency": 64, "waiting": settings.waiting, "burst": settings.burst, "access_log": "off but where a name says on (Daphne: on)"},
        "hello_req_per_s": figures.hello, "ratios": figures.ratios, "waiting": figures.waiting,
        "asgi_busy_500": figures.asgi_busy_500, "startup_s": figures.startup_s,
        "uploads": figures.uploads, "upload_ratios": figures.upload_ratios,
        "workers_req_per_s": figures.workers, "workers_ratio": _workers_ratio(figures.workers),
        "burst": figures.burst,
        "h2": figures.h2, "h2_ratios": h2.ratios(figures.h2) if figures.h2 else {},
    }  # fmt: skip


def _report(record: dict[str, Any]) -> Table:
    """The table printed at the end: each figure beside its goal (docs/BENCHMARKS.md
    shows the same rows, from the JSON file)."""
    table = Table(title="twistbridge against its anchors (median of rounds, min-max)")
    for column in ("measure", "figure", "goal"):
        table.add_column(column)
    for row in summary.rows(record):
        table.add_row(*row)
    return table


def _write(record: dict[str, Any]) -> Path:
    out = RESULTS / f"speed-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(record, indent=2))
    return out


@click.command()
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 20))
@click.option(
    "--duration",
    default=5.0,
    show_default=True,
    type=click.FloatRange(1, 60),
    help="Seconds per point.",
)
@click.option(
    "--waiting",
    default=10000,
    show_default=True,
    type=click.IntRange(10, 20000),
    help="Concurrent busy?seconds=2 connections.",
)
@click.option(
    "--quick",
    is_flag=True,
    help="One round of 2 s, 2000 waiting connections, a burst of 2000.",
)
def main(rounds: int, duration: float, waiting: int, quick: bool) -> None:
    """Measure twistbridge against its anchors and print the ratios to their goals."""
    settings = (
        Settings(1, 2.0, 2000, 2000)
        if quick
        else Settings(rounds, duration, waiting, burst.CONNECTIONS)
    )
    _pin_load()
    raise_nofile()
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / "access.log.tmp"
    figures = _measure(settings, log)
    log.unlink(missing_ok=True)
    record = _record(figures, settings)
    console.print(_report(record))
    console.print(f"written: {_write(record)}")


if __name__ == "__main__":
    main()
