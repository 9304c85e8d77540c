"""The terminal report of one `twistbridge load` run (rich)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from bench.load.histogram import PERCENTILES, percentile_key
from bench.load.result import LoadResult, Spread


def milliseconds(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    return f"{seconds * 1000:.2f} ms"


def rate(value: float) -> str:
    return (
        "-"
        if math.isnan(value)
        else f"{value:,.0f}"
        if value >= 100
        else f"{value:.1f}"
    )


def show(result: LoadResult, console: Console) -> None:
    total = result.total()
    spread = Spread.of(result.throughputs())
    head = Table(title=f"{result.url}  ({result.engine} engine)", show_header=False)
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("connections", str(result.concurrency))
    head.add_row(
        "measured", f"{total.duration:.2f} s in {len(result.windows)} window(s)"
    )
    head.add_row("successful responses (2xx)", f"{total.ok:,}")
    head.add_row("requests/s", rate(total.throughput))
    if len(result.windows) > 1:
        head.add_row(
            "requests/s per window",
            f"median {rate(spread.median)}, {rate(spread.low)}-{rate(spread.high)}",
        )
    if result.unfinished:
        head.add_row("still in flight at the end", str(result.unfinished))
    if result.cpu_seconds:
        share = result.cpu_seconds / max(total.duration, 1e-9)
        head.add_row("load generator CPU", f"{result.cpu_seconds:.2f} s ({share:.0%})")
    console.print(head)

    latency = Table(title="latency of successful responses")
    for name in [percentile_key(p) for p in PERCENTILES] + ["max", "mean"]:
        latency.add_column(name, justify="right")
    figures = total.latency.summary()
    latency.add_row(*(milliseconds(v) for v in figures.values()))
    console.print(latency)

    errors = dict(total.errors)
    for kind, count in result.warmup_errors.items():
        errors[f"{kind} (warm-up)"] = count
    if errors:
        table = Table(title="errors by kind")
        table.add_column("kind")
        table.add_column("count", justify="right")
        for kind, count in sorted(errors.items()):
            table.add_row(kind, f"{count:,}")
        console.print(table)
    else:
        console.print("no errors")
