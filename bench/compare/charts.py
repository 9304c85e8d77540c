"""The report's charts, drawn with matplotlib's Agg backend (no display needed), saved
as PNG and SVG, and handed to the HTML report as inline SVG."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: never try to open a window

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bench.compare.results import Results
from bench.load.histogram import PERCENTILES, percentile_key

COLOURS = {
    "native": "#1b9e77",
    "wsgi": "#d95f02",
    "asgi": "#7570b3",
    "klein": "#66a61e",
    "uvicorn": "#e7298a",
}
LABELS = {
    "native": "/native (twisted.web)",
    "wsgi": "/wsgi (Flask on a thread pool)",
    "asgi": "/asgi (Starlette on the bridge)",
    "klein": "/klein (Klein on the reactor)",
    "uvicorn": "uvicorn (same Starlette app)",
}


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    svg: str  # inline <svg> markup
    png: Path


def _targets(results: Results) -> list[str]:
    seen = [p.target for p in results.points] + [
        lesson.target for lesson in results.lessons
    ]
    return [t for t in COLOURS if t in seen]


def _label_levels(axes: Axes, levels: list[int]) -> None:
    """Ticks at the concurrencies measured, written as plain numbers."""
    axes.set_xticks(levels, [str(level) for level in levels])
    axes.minorticks_off()


def throughput(results: Results) -> Figure | None:
    points = [p for p in results.points if p.point.scenario == "throughput"]
    if not points:
        return None
    figure, axes = plt.subplots(figsize=(8, 4.5))
    for target in _targets(results):
        mine = sorted(
            (p for p in points if p.target == target), key=lambda p: p.point.concurrency
        )
        if not mine:
            continue
        xs = [p.point.concurrency for p in mine]
        spreads = [p.throughput() for p in mine]
        ys = [s.median for s in spreads]
        below = [s.median - s.low for s in spreads]
        above = [s.high - s.median for s in spreads]
        axes.errorbar(xs, ys, yerr=[below, above], marker="o", capsize=3,
                      color=COLOURS[target], label=LABELS[target])  # fmt: skip
    axes.set_xscale("log", base=2)
    _label_levels(axes, sorted({p.point.concurrency for p in points}))
    axes.set_xlabel("concurrent connections")
    axes.set_ylabel("requests per second (median, min-max)")
    axes.set_title("GET /hello: throughput against concurrency")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small")
    return figure


def latency(results: Results) -> Figure | None:
    points = [p for p in results.points if p.point.scenario == "throughput"]
    levels = sorted({p.point.concurrency for p in points})
    if not levels:
        return None
    figure, grid = plt.subplots(1, len(levels), figsize=(3.2 * len(levels) + 1, 4.2),
                                sharey=True, squeeze=False)  # fmt: skip
    keys = [percentile_key(p) for p in PERCENTILES]
    targets = _targets(results)
    width = 0.8 / max(len(targets), 1)
    for axes, level in zip(grid[0], levels, strict=True):
        for offset, target in enumerate(targets):
            found = results.find("throughput", level, target)
            if found is None:
                continue
            values = [found.latency(key).median * 1000 for key in keys]
            xs = [
                i + (offset - (len(targets) - 1) / 2) * width for i in range(len(keys))
            ]
            axes.bar(xs, values, width, color=COLOURS[target],
                     label=LABELS[target] if level == levels[0] else None)  # fmt: skip
        axes.set_xticks(range(len(keys)), keys)
        if axes.get_ylim()[1] > 0:  # a level with no answer at all has no scale
            axes.set_yscale("log")
        axes.set_title(f"{level} connection{'s' if level > 1 else ''}")
        axes.grid(True, axis="y", alpha=0.3)
    grid[0][0].set_ylabel("latency, ms (log scale)")
    figure.suptitle("GET /hello: latency percentiles")
    figure.legend(loc="lower center", ncol=len(targets), fontsize="small")
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    return figure


def slow(results: Results, threads: int, seconds: float) -> Figure | None:
    points = [p for p in results.points if p.point.scenario in ("slow", "thread")]
    if not points:
        return None
    figure, axes = plt.subplots(figsize=(8, 4.8))
    for scenario, style in (("slow", "-o"), ("thread", ":s")):
        for index, target in enumerate(_targets(results)):
            # Equal figures would hide each other: nudge each target sideways.
            nudge = 1 + 0.05 * (index - 1.5)
            mine = [
                p for p in points if p.target == target and p.point.scenario == scenario
            ]
            mine.sort(key=lambda p: p.point.concurrency)
            if not mine:
                continue
            label = LABELS[target].split(" ")[0] + (
                " busy" if scenario == "slow" else " busy/thread"
            )
            axes.plot([p.point.concurrency * nudge for p in mine],
                      [p.throughput().median for p in mine], style,
                      color=COLOURS[target], label=label)  # fmt: skip
    levels = sorted({p.point.concurrency for p in points})
    axes.axhline(threads / seconds, color=COLOURS["wsgi"], linestyle="--", alpha=0.6,
                 label=f"WSGI cap: {threads} threads / {seconds:g} s")  # fmt: skip
    axes.plot(levels, [c / seconds for c in levels], color="grey", linestyle=":",
              label="no cap: connections / seconds")  # fmt: skip
    axes.set_xscale("log")
    axes.set_yscale("log")
    _label_levels(axes, levels)
    axes.set_xlabel("concurrent connections")
    axes.set_ylabel("requests per second (median)")
    axes.set_title(
        f"GET /busy?seconds={seconds:g}: throughput against the thread-pool cap"
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="x-small", ncol=2)
    return figure


def lesson(results: Results) -> Figure | None:
    targets = [t for t in COLOURS if any(x.target == t for x in results.lessons)]
    if not targets:
        return None
    columns = min(2, len(targets))
    rows = math.ceil(len(targets) / columns)
    figure, grid = plt.subplots(rows, columns, figsize=(6 * columns, 3.4 * rows),
                                squeeze=False, sharey=True)  # fmt: skip
    for index, target in enumerate(targets):
        axes = grid[index // columns][index % columns]
        for mode, colour in (("busy/blocking", "#d62728"), ("busy", "#1f77b4")):
            found = [
                x for x in results.lessons if x.target == target and x.mode == mode
            ]
            if not found or not found[0].runs:
                continue
            run = found[0].typical()
            xs = [due for due, value, status in run.probes if status == "200"]
            ys = [value * 1000 for _, value, status in run.probes if status == "200"]
            axes.plot(xs, ys, ".", color=colour, markersize=4,
                      label=f"clock while {run.blockers}x {mode} in flight")  # fmt: skip
            start, end = run.window
            axes.axvspan(start, end, color=colour, alpha=0.08)
        axes.set_yscale("log")
        axes.set_title(LABELS[target], fontsize="medium")
        axes.set_xlabel("time since the probing started, s")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize="x-small", loc="upper right")
    for index in range(len(targets), rows * columns):
        grid[index // columns][index % columns].axis("off")
    for row in grid:
        row[0].set_ylabel("GET /clock latency, ms")
    figure.suptitle("A blocking handler stalls everything that shares its thread")
    figure.tight_layout()
    return figure


def save(figure: Figure, name: str, title: str, folder: Path) -> Chart:
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{name}.png"
    figure.savefig(png, dpi=110, bbox_inches="tight")
    figure.savefig(folder / f"{name}.svg", bbox_inches="tight")
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    svg = buffer.getvalue()
    return Chart(name, title, svg[svg.index("<svg") :], png)


def draw_all(
    results: Results, folder: Path, threads: int, seconds: float
) -> list[Chart]:
    charts = []
    for name, title, figure in (
        ("throughput", "Throughput against concurrency", throughput(results)),
        ("latency", "Latency percentiles", latency(results)),
        (
            "slow",
            "The slow endpoint and the thread-pool cap",
            slow(results, threads, seconds),
        ),
        ("lesson", "The blocking lesson, as a timeline", lesson(results)),
    ):
        if figure is not None:
            charts.append(save(figure, name, title, folder))
    return charts
