"""Cross-check of the built-in load engine against wrk, on the same target.

    python -m bench.engine_vs_wrk [--seconds 3] [--rounds 3]

Starts the servers on one half of the cores, loads from the other half, and runs wrk
and the built-in engine alternately at the same concurrency. Prints both engines'
requests/s and latency, their ratio (the engine should agree with wrk within 15 %),
and the CPU time the engine used against the CPU time the server used meanwhile (the
engine is not the bottleneck when its share is below the server's).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.compare.servers import Servers, split_cpus
from bench.load.external import run_wrk
from bench.load.limits import describe, raise_nofile
from bench.load.result import LoadResult
from bench.load.spec import LoadSpec
from bench.load.workers import run_sync
from core.mounts import MOUNT_NAMES

_TICK = os.sysconf("SC_CLK_TCK")
Run = tuple[LoadResult, float, float]  # result, engine CPU s, server CPU s
ENGINES: list[tuple[str, Callable[[LoadSpec], LoadResult]]] = [
    ("wrk", run_wrk),
    ("engine", run_sync),
]
COLUMNS = (
    "connections", "wrk req/s", "engine req/s", "engine/wrk", "wrk p50/p99",
    "engine p50/p99", "server CPU/req wrk", "server CPU/req engine",
    "engine CPU/server CPU",
)  # fmt: skip


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measure(
    run: Callable[[LoadSpec], LoadResult], spec: LoadSpec, servers: Servers
) -> Run:
    """(result, engine CPU seconds, server CPU seconds) of one run."""
    server_before, children_before = _cpu_of(servers.pids), _children_cpu()
    result = run(spec)
    server = _cpu_of(servers.pids) - server_before
    engine = result.cpu_seconds or (_children_cpu() - children_before)
    # Both CPU figures cover warm-up and measurement alike.
    return result, engine, server


def _latency(results: list[LoadResult]) -> str:
    """Median p50 / p99 over the runs, in ms."""
    figures = [r.total().latency.summary() for r in results]
    p50 = statistics.median(f["p50"] for f in figures)
    p99 = statistics.median(f["p99"] for f in figures)
    return f"{p50 * 1e3:.2f} / {p99 * 1e3:.2f} ms"


@dataclass(frozen=True)
class Comparison:
    """wrk and the engine at one concurrency, as medians over the rounds."""

    concurrency: int
    rate: dict[str, float]  # req/s, by engine name
    per_request: dict[str, float]  # server CPU seconds per request, by engine
    latency: dict[str, str]  # p50 / p99, by engine
    cpu_share: float  # engine CPU over server CPU

    @property
    def ratio(self) -> float:
        return self.rate["engine"] / self.rate["wrk"]

    def row(self) -> list[str]:
        rate, per_request = self.rate, self.per_request
        return [
            str(self.concurrency), f"{rate['wrk']:,.0f}", f"{rate['engine']:,.0f}",
            f"{self.ratio:.2f}", self.latency["wrk"], self.latency["engine"],
            f"{per_request['wrk'] * 1e6:.0f} µs", f"{per_request['engine'] * 1e6:.0f} µs",
            f"{self.cpu_share:.2f}",
        ]  # fmt: skip


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per run")
    parser.add_argument("--rounds", type=int, default=5, help="runs per engine")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--target", default="native", choices=list(MOUNT_NAMES))
    return parser.parse_args(argv)


def _alternate(spec: LoadSpec, rounds: int, servers: Servers) -> dict[str, list[Run]]:
    """`rounds` runs of each engine on `spec`, by engine name."""
    runs: dict[str, list[Run]] = {name: [] for name, _ in ENGINES}
    for round_ in range(rounds):
        # Alternate who goes first: a machine that gets busier or quieter
        # during the bench then favours neither engine.
        for name, engine in ENGINES[:: 1 if round_ % 2 == 0 else -1]:
            runs[name].append(_measure(engine, spec, servers))
            time.sleep(0.2)
    return runs


def _compare(
    url: str, concurrency: int, args: argparse.Namespace, servers: Servers
) -> Comparison:
    spec = LoadSpec(url=url, concurrency=concurrency, duration=args.seconds,
                    warmup=1.0, workers=1)  # fmt: skip
    runs = _alternate(spec, args.rounds, servers)
    return Comparison(
        concurrency=concurrency,
        rate={
            k: statistics.median(r.total().throughput for r, _, _ in v)
            for k, v in runs.items()
        },
        per_request={
            # Server CPU covers the warm-up too: divide by all requests.
            k: statistics.median(
                s / max(r.total().throughput * (1.0 + args.seconds), 1.0)
                for r, _, s in v
            )
            for k, v in runs.items()
        },
        latency={k: _latency([r for r, _, _ in v]) for k, v in runs.items()},
        cpu_share=statistics.median(e / s for _, e, s in runs["engine"] if s > 0),
    )


def _run_all(
    args: argparse.Namespace, console: Console, folder: Path
) -> list[Comparison]:
    """Start the servers on their cores, then compare at each concurrency from
    the load cores."""
    server_cpus, load_cpus = split_cpus()
    console.print(
        f"servers on cores {sorted(server_cpus)}, load on {sorted(load_cpus)}"
    )
    saved = os.sched_getaffinity(0)
    servers = Servers.start(folder / "server.log", 10, server_cpus)
    try:
        os.sched_setaffinity(0, load_cpus)
        url = servers.base(args.target) + "/hello"
        return [_compare(url, c, args, servers) for c in args.concurrency]
    finally:
        os.sched_setaffinity(0, saved)
        servers.stop()


def _verdict(comparisons: list[Comparison], console: Console) -> bool:
    """Print whether the engine agrees with wrk and stays light; return that."""
    worst_ratio, worst_cpu = 1.0, 0.0
    for comparison in comparisons:
        ratio = comparison.ratio
        worst_ratio = ratio if abs(ratio - 1) > abs(worst_ratio - 1) else worst_ratio
        worst_cpu = max(worst_cpu, comparison.cpu_share)
    agree = abs(worst_ratio - 1) <= 0.15
    light = worst_cpu < 1.0
    console.print(
        f"engine/wrk throughput within 15 %: {'yes' if agree else 'NO'} "
        f"(furthest {worst_ratio:.2f}); engine CPU below the server's: "
        f"{'yes' if light else 'NO'} (highest ratio {worst_cpu:.2f})"
    )
    return agree and light


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    # Wide enough for the table when the output is a file or a pipe.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    if shutil.which("wrk") is None:
        console.print("wrk is not installed (Debian: apt-get install wrk)")
        return 1
    console.print(describe(*raise_nofile()))
    folder = Path(tempfile.mkdtemp(prefix="engine-vs-wrk-"))
    comparisons = _run_all(args, console, folder)
    table = Table(title=f"built-in engine vs wrk: GET /{args.target}/hello")
    for name in COLUMNS:
        table.add_column(name, justify="right")
    for comparison in comparisons:
        table.add_row(*comparison.row())
    console.print(table)
    return 0 if _verdict(comparisons, console) else 1


if __name__ == "__main__":
    sys.exit(main())
