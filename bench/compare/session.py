"""One `twistbridge compare`: set up (limits, cores), run with a live display, and
write every output — also after Ctrl-C or a failure, and always stop the servers."""

from __future__ import annotations

import asyncio
import datetime
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from bench.compare import charts, report, summary
from bench.compare.machine import machine, versions
from bench.compare.results import Results
from bench.compare.runner import Plan, Runner
from bench.compare.servers import ServerFailed
from bench.load.limits import describe, raise_nofile
from bench.load.workers import new_loop


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a run as Ctrl-C does: results kept


def compare(plan: Plan, console: Console) -> Results:
    """Run the plan; write results.json, results.csv, charts/ and report.html."""
    nofile = describe(*raise_nofile())
    console.print(f"[dim]{nofile} (this process and the servers it starts)[/dim]")
    plan.output.mkdir(parents=True, exist_ok=True)
    results = Results(
        meta={"started": _now(), "versions": versions(), "machine": machine()}
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("starting the servers", total=plan.steps())

        def step(what: str, figures: str) -> None:
            progress.console.print(f"  {what}: [bold]{figures}[/bold]")
            if what != "restart":
                progress.advance(task)
            progress.update(task, description=f"measured {what}")

        runner = Runner(plan, results, step)
        results.meta["settings"] = {
            "targets": list(plan.targets),
            "scenarios": list(plan.scenarios),
            "wsgi_threads": plan.wsgi_threads,
            "server_cpus": sorted(runner.server_cpus or []),
            "load_cpus": sorted(runner.load_cpus or []),
            "load_workers": runner.workers,
            "external": plan.external,
            "nofile": nofile,
        }
        results.meta["profile"] = plan.profile.to_dict()
        saved = os.sched_getaffinity(0) if runner.load_cpus else None
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
        try:
            if runner.load_cpus:
                os.sched_setaffinity(0, runner.load_cpus)
            with asyncio.Runner(loop_factory=new_loop) as loop:
                loop.run(runner.run())
        except KeyboardInterrupt:
            results.interrupted = True
            console.print(
                "[yellow]interrupted: writing what was measured so far[/yellow]"
            )
        except (ServerFailed, RuntimeError, OSError) as failure:
            results.failure = str(failure)
            console.print(f"[red]stopped: {failure}[/red]")
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
            runner.stop_servers()
            if saved is not None:
                os.sched_setaffinity(0, saved)
            results.meta["server_starts"] = runner.starts
    results.meta["finished"] = _now()
    write(results, plan.output, plan.wsgi_threads, plan.profile.busy_seconds)
    summary.show(results, console)
    console.print(f"report: [bold]{plan.output / 'report.html'}[/bold]")
    return results


def write(results: Results, output: Path, threads: int, busy_seconds: float) -> None:
    """results.json, results.csv, charts/ and report.html in `output`; `threads` and
    `busy_seconds` draw the slow chart's caps."""
    output.mkdir(parents=True, exist_ok=True)
    results.write_json(output / "results.json")
    results.write_csv(output / "results.csv")
    drawn = charts.draw_all(results, output / "charts", threads, busy_seconds)
    report.render(results, drawn, output / "report.html")


def default_output() -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("compare-results") / stamp
