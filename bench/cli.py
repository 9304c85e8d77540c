"""`twistbridge load` and `twistbridge compare`: the click layer over bench.load and
bench.compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from bench.compare.external import EXTERNAL_TARGETS, is_url
from bench.compare.scenarios import PROFILES, SCENARIOS, with_repeats
from bench.compare.servers import TARGETS
from bench.load.external import ENGINES, EngineMissing, run_hey, run_wrk
from bench.load.http import BadTarget
from bench.load.limits import describe, raise_nofile
from bench.load.result import LoadResult
from bench.load.spec import LoadSpec


@click.command()
@click.argument("url")
@click.option("-c", "--concurrency", default=16, show_default=True,
              type=click.IntRange(1, 100_000),
              help="Connections open at once, each sending one request at a time.")  # fmt: skip
@click.option("-d", "--duration", type=click.FloatRange(0, min_open=True),
              help="Seconds to measure for (default 5, unless --requests is given).")  # fmt: skip
@click.option("-n", "--requests", type=click.IntRange(1),
              help="Measure this many requests instead of a duration.")  # fmt: skip
@click.option("--windows", default=1, show_default=True, type=click.IntRange(1, 100),
              help="Repeat the measurement this many times back to back (with --duration).")  # fmt: skip
@click.option("--warmup", default=1.0, show_default=True, type=click.FloatRange(0),
              help="Seconds of load before measuring, not counted.")  # fmt: skip
@click.option("--ramp", default=0.0, show_default=True, type=click.FloatRange(0),
              help="Spread the connections' first requests over this many seconds.")  # fmt: skip
@click.option("--keepalive/--no-keepalive", default=True, show_default=True,
              help="Reuse connections, or open a new one for every request.")  # fmt: skip
@click.option("--timeout", default=10.0, show_default=True,
              type=click.FloatRange(0, min_open=True),
              help="Seconds a request may take before it counts as a timeout.")  # fmt: skip
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Processes generating load (builtin engine), or wrk's threads.")  # fmt: skip
@click.option("--engine", default="builtin", show_default=True, type=click.Choice(ENGINES),
              help="builtin: our asyncio engine; wrk or hey: the Debian tools, if installed.")  # fmt: skip
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write every figure, with the encoded latency histograms, here.")  # fmt: skip
def load(
    url: str,
    concurrency: int,
    duration: float | None,
    requests: int | None,
    windows: int,
    warmup: float,
    ramp: float,
    keepalive: bool,
    timeout: float,
    workers: int,
    engine: str,
    json_path: Path | None,
) -> None:
    """Drive HTTP load at one URL on this machine and print requests/s, errors by kind
    and latency percentiles (p50, p90, p99, p99.9, max).

    \b
    Example:
      twistbridge load http://127.0.0.1:8000/native/hello -c 64 -d 10
    """
    from bench.load.display import show
    from bench.load.workers import run_sync

    if duration is not None and requests is not None:
        raise click.UsageError("give --duration or --requests, not both")
    if duration is None and requests is None:
        duration = 5.0
    try:
        spec = LoadSpec(
            url=url,
            concurrency=concurrency,
            duration=duration,
            requests=requests,
            windows=windows,
            warmup=warmup,
            ramp=ramp,
            keepalive=keepalive,
            timeout=timeout,
            workers=workers,
        )
    except BadTarget as bad:
        raise click.BadParameter(str(bad), param_hint="URL") from None
    except ValueError as bad:
        raise click.UsageError(str(bad)) from None
    console = Console()
    console.print(f"[dim]{describe(*raise_nofile())}[/dim]")
    try:
        result: LoadResult
        if engine == "wrk":
            result = run_wrk(spec)
        elif engine == "hey":
            result = run_hey(spec)
        else:
            result = run_sync(spec)
    except (EngineMissing, ValueError) as bad:
        raise click.UsageError(str(bad)) from None
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    show(result, console)
    if json_path is not None:
        from bench.compare.results import _clean

        json_path.write_text(json.dumps(_clean(result.to_dict()), indent=2) + "\n")


class _TargetOrURL(click.ParamType):  # type: ignore[type-arg]
    """A target to load (native, wsgi, asgi, klein, uvicorn), or the URL of a deployment
    already running (http://front.example/) to load instead of starting servers."""

    name = "TARGET|URL"

    def convert(self, value: object, param: object, ctx: object) -> str:
        text = str(value)
        if text in TARGETS or is_url(text):
            return text
        self.fail(f"{text!r} is none of {', '.join(TARGETS)} nor an http(s) URL")


def _external(targets: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """The deployment's URL among --target values, if any, and the targets left."""
    urls = [t for t in targets if is_url(t)]
    names = tuple(t for t in targets if not is_url(t))
    if not urls:
        return None, names
    if len(urls) > 1:
        raise click.UsageError("--target takes one URL")
    if "uvicorn" in names:
        raise click.UsageError("uvicorn is not served behind --target URL")
    return urls[0], names or EXTERNAL_TARGETS


@click.command()
@click.option("--quick", is_flag=True,
              help="The quick profile (under 3 minutes on two cores); same as --profile quick.")  # fmt: skip
@click.option("--profile", "profile_name", default="full", show_default=True,
              type=click.Choice(sorted(PROFILES)),
              help="How long and how wide: quick, full, or test (seconds; for the test suite).")  # fmt: skip
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for report.html, results.json, results.csv and charts/ "
              "[default: compare-results/<timestamp>]")  # fmt: skip
@click.option("--scenario", "scenarios", multiple=True, type=click.Choice(SCENARIOS),
              help="Run only these scenarios (repeatable) [default: all].")  # fmt: skip
@click.option("--target", "targets", multiple=True, type=_TargetOrURL(),
              help="Load only these targets (repeatable) [default: all]; or a URL: "
              "load a deployment already running there (its /native, /wsgi, /asgi, /klein) "
              "with every core of this machine, starting no server.")  # fmt: skip
@click.option("--wsgi-threads", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="Threads of the WSGI mount's pool in the servers started.")  # fmt: skip
@click.option("--repeats", type=click.IntRange(1, 50),
              help="Measurement windows per point (default: the profile's).")  # fmt: skip
@click.option("--pin/--no-pin", default=True, show_default=True,
              help="Run the servers and the load on separate cores, where there are several.")  # fmt: skip
@click.option("--locustfile", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the scenarios as a Locust file here (for a master and workers "
              "on several machines against a deployment) and exit; no lesson.")  # fmt: skip
@click.option("--from-locust", "from_locust", metavar="CSV_PREFIX",
              help="Make the report from the CSV files of a Locust run of that file "
              "(`locust --csv CSV_PREFIX`) instead of loading anything.")  # fmt: skip
def compare(
    quick: bool,
    profile_name: str,
    output: Path | None,
    scenarios: tuple[str, ...],
    targets: tuple[str, ...],
    wsgi_threads: int,
    repeats: int | None,
    pin: bool,
    locustfile: Path | None,
    from_locust: str | None,
) -> None:
    """Start the servers, load /native, /wsgi, /asgi, /klein and uvicorn with the same
    scenarios, stop the servers, and write a report with charts. With --target URL,
    load a deployment already running there instead (docs/DEPLOY.md).

    \b
    Scenarios:
      throughput  GET /hello at rising concurrency
      slow        GET /busy?seconds=1: the WSGI thread pool against Deferreds/coroutines
      thread      GET /busy/thread?seconds=1: the wait handed to a worker thread
      lesson      GET /clock while busy/blocking (then busy) requests are in flight
    """
    from bench.compare.runner import Plan
    from bench.compare.session import compare as run_compare
    from bench.compare.session import default_output

    if quick and profile_name not in ("full", "quick"):
        raise click.UsageError("--quick and --profile disagree")
    profile = with_repeats(PROFILES["quick" if quick else profile_name], repeats)
    if locustfile is not None and from_locust is not None:
        raise click.UsageError("--locustfile writes a file, --from-locust reads one")
    chosen = tuple(s for s in SCENARIOS if not scenarios or s in scenarios)
    if locustfile is not None:
        from bench.compare.locust import LocustPlanError, write_locustfile

        try:
            carried, on = write_locustfile(
                locustfile, profile, chosen, targets, wsgi_threads
            )
        except LocustPlanError as bad:
            raise click.UsageError(str(bad)) from None
        _say_written(locustfile, chosen, carried, on)
        return
    if from_locust is not None:
        _report_locust(from_locust, output)
        return
    external, names = _external(targets)
    plan = Plan(
        profile=profile,
        scenarios=chosen,
        targets=tuple(t for t in TARGETS if not names or t in names),
        wsgi_threads=wsgi_threads,
        pin=pin,
        output=output or default_output(),
        external=external,
    )
    results = run_compare(plan, Console())
    if results.interrupted:
        sys.exit(130)
    if results.failure:
        sys.exit(1)


def _say_written(
    locustfile: Path,
    asked: tuple[str, ...],
    carried: tuple[str, ...],
    on: tuple[str, ...],
) -> None:
    console = Console()
    if "lesson" in asked:
        console.print(
            "[dim]the lesson is left out: it needs one clock, not a crowd[/dim]"
        )
    console.print(f"wrote {locustfile}: {', '.join(carried)} on {', '.join(on)}")
    console.print(
        f"  locust -f {locustfile} --master --headless --expect-workers N "
        "--host http://SITE --csv run\n"
        f"  locust -f {locustfile} --worker --master-host MASTER   (on each load machine)\n"
        "  twistbridge compare --from-locust run -o report"
    )


def _report_locust(prefix: str, output: Path | None) -> None:
    from bench.compare import summary
    from bench.compare.locust import LocustCSVError, read_results
    from bench.compare.session import default_output, write

    try:
        results = read_results(prefix)
    except (LocustCSVError, OSError) as bad:
        raise click.UsageError(str(bad)) from None
    folder = output or default_output()
    profile = results.meta["profile"]
    threads = int(results.meta["settings"]["wsgi_threads"])
    write(results, folder, threads, float(profile["busy_seconds"]))
    console = Console()
    summary.show(results, console)
    console.print(f"report: [bold]{folder / 'report.html'}[/bold]")
