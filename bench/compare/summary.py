"""The terminal summary of a compare run (rich tables)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from bench.compare.report import _lesson_rows, _ms, _rate
from bench.compare.results import Results


def show(results: Results, console: Console) -> None:
    scenarios = dict.fromkeys((p.point.scenario, p.point.path) for p in results.points)
    targets = list(dict.fromkeys(p.target for p in results.points))
    for scenario, path in scenarios:
        table = Table(title=f"{scenario}: GET {path} — req/s (ratio to fastest) · p99")
        table.add_column("connections", justify="right")
        for target in targets:
            table.add_column(target, justify="right")
        levels = sorted(
            {p.point.concurrency for p in results.points if p.point.path == path}
        )
        for level in levels:
            cells = []
            for target in targets:
                found = results.find(scenario, level, target)
                if found is None:
                    cells.append("-")
                    continue
                ratio = "" if math.isnan(found.ratio) else f" ({found.ratio:.2f})"
                errors = sum(found.errors().values())
                cell = f"{_rate(found.throughput().median)}{ratio} · "
                cell += _ms(found.latency("p99").median)
                cell += f" · [red]{errors} err[/red]" if errors else ""
                cells.append(cell)
            table.add_row(str(level), *cells)
        console.print(table)
    rows = _lesson_rows(results)
    if rows:
        table = Table(
            title="lesson: GET /clock latency while slow requests are in flight"
        )
        for name in ("target", "p99 busy/blocking", "p99 busy", "growth"):
            table.add_column(name, justify="right")
        for row in rows:
            table.add_row(
                row["target"], row["blocking_p99"], row["busy_p99"], row["growth"]
            )
        console.print(table)
    for note in results.notes:
        console.print(f"[dim]note: {note}[/dim]")
