"""The self-contained report.html: tables and inline SVG charts from a Jinja2
template, each chart explained in two sentences."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from bench.compare.charts import Chart
from bench.compare.results import LATENCY_KEYS, Results

EXPLAIN = {
    "throughput": (
        "Each line is one way of serving the same `GET /hello`, loaded by the given "
        "number of keep-alive connections; the bars span the fastest and slowest "
        "measurement window. Where a line flattens, that stack is saturated: the "
        "height of the plateau is its cost per request on one core."
    ),
    "latency": (
        "For each concurrency, the bars are the median over the windows of each "
        "percentile of `GET /hello` latency, on a log scale. The gap between p50 and "
        "p99.9 shows how evenly a stack shares its time between connections."
    ),
    "slow": (
        "`busy` waits S seconds per request: the WSGI mount holds a pool thread while "
        "it waits, so its throughput cannot pass threads / S (dashed line), whereas "
        "Deferreds and coroutines follow connections / S (dotted line). Dotted "
        "markers hand the wait to a worker thread (`busy/thread`), which brings back "
        "the cap of that worker pool on every mount."
    ),
    "lesson": (
        "Each dot is one `GET /clock`, sent on a schedule whatever happened to the "
        "previous one, while slow requests were in flight (shaded): red with "
        "`busy/blocking`, blue with `busy`. Where the handler blocks the reactor or "
        "the event loop (/native, /asgi, /klein, uvicorn), every clock waits for all the "
        "sleeps in turn; on /wsgi the sleep takes one pool thread and clock goes on."
    ),
}


def _code(text: str) -> Markup:
    """The explanations' `quoted` names as <code>, everything else escaped."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    return f"{seconds:.2f} s" if seconds >= 10 else f"{seconds * 1000:.1f} ms"


def _rate(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _point_rows(results: Results) -> list[dict[str, Any]]:
    rows = []
    for p in results.points:
        spread = p.throughput()
        rows.append(
            {
                "scenario": p.point.scenario,
                "path": p.point.path,
                "concurrency": p.point.concurrency,
                "target": p.target,
                "throughput": _rate(spread.median),
                "range": f"{_rate(spread.low)}-{_rate(spread.high)}",
                "ratio": "-" if math.isnan(p.ratio) else f"{p.ratio:.2f}",
                "latency": [_ms(p.latency(key).median) for key in LATENCY_KEYS],
                "errors": ", ".join(f"{k}: {v}" for k, v in p.errors().items()),
                "unfinished": p.result.unfinished,
            }
        )
    return rows


def _lesson_rows(results: Results) -> list[dict[str, Any]]:
    rows = []
    for target in dict.fromkeys(lesson.target for lesson in results.lessons):
        by_mode = {x.mode: x for x in results.lessons if x.target == target}
        blocking, busy = by_mode.get("busy/blocking"), by_mode.get("busy")
        p99_blocking = blocking.p("p99").median if blocking else math.nan
        p99_busy = busy.p("p99").median if busy else math.nan
        growth = (
            p99_blocking / p99_busy
            if p99_busy and not math.isnan(p99_busy)
            else math.nan
        )
        rows.append(
            {
                "target": target,
                "blocking_p50": _ms(blocking.p("p50").median) if blocking else "-",
                "blocking_p99": _ms(p99_blocking),
                "busy_p50": _ms(busy.p("p50").median) if busy else "-",
                "busy_p99": _ms(p99_busy),
                "growth": "-" if math.isnan(growth) else f"x{growth:,.0f}",
            }
        )
    return rows


def render(results: Results, charts: list[Chart], path: Path) -> None:
    environment = Environment(
        loader=PackageLoader("bench", "compare/templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    template = environment.get_template("report.html.j2")
    html = template.render(
        results=results,
        meta=results.meta,
        points=_point_rows(results),
        lessons=_lesson_rows(results),
        latency_keys=LATENCY_KEYS,
        charts=[
            {
                "title": c.title,
                "svg": Markup(c.svg),
                "explain": _code(EXPLAIN[c.name]),
                "png": c.png.name,
            }
            for c in charts
        ],
    )
    path.write_text(html)
