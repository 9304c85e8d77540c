"""A soak: minutes of mixed load on every mount at once, then the verdict.

    python -m bench.soak [--minutes 5]

Starts `twistbridge serve`, warms it up, notes its memory, then keeps wrk running on
a mix of features (pages, echo, static with ranges, calendar, form posts, busy,
busy/thread) on every mount of the registry for the duration. It passes when no
request failed in a way the feature does not promise (every answer is the expected
status), the server's RSS grew under 10 % from the warmed-up figure, and
/native/hello still answers. Load goes to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import click
from rich.console import Console

from bench.compare.probe import get_status
from bench.load.external import run_wrk
from bench.load.limits import raise_nofile
from bench.load.spec import LoadSpec
from bench.measure import Server, memory_mb, start, stop
from core.mounts import MOUNT_NAMES as MOUNTS

console = Console()

# (path, concurrency): every mount gets the same mix.
MIX = [
    ("/hello", 8),
    ("/echo", 4),
    ("/static/images/noise.bin", 4),
    ("/calendar/2013", 4),
    ("/form", 4),
    ("/busy?seconds=0.2", 16),
    ("/busy/thread?seconds=0.1", 4),
]


def _load(
    url: str, concurrency: int, seconds: float
) -> tuple[str, int, dict[str, int]]:
    result = run_wrk(LoadSpec(url, concurrency=concurrency, duration=seconds, warmup=0))
    total = result.total()
    return url, total.ok, dict(total.errors)


@click.command()
@click.option(
    "--minutes", default=5.0, show_default=True, type=click.FloatRange(0.1, 60)
)
def main(minutes: float) -> None:
    """Soak twistbridge with mixed load on every mount; exit 1 on a failed check."""
    raise_nofile()
    server = Server(
        "twistbridge",
        [sys.executable, "-m", "twisted_host", "serve", "--port", "8301",
         "--uvicorn-port", "0", "--access-log-file", os.devnull],
        8301,
        "/native/hello",
    )  # fmt: skip
    process, _ = start(server)
    try:
        targets = [(f"http://127.0.0.1:8301/{m}{p}", c) for m in MOUNTS for p, c in MIX]
        console.print("warm-up: 20 s of the same mix")
        _run_all(targets, 20)
        before = memory_mb(process.pid, "VmRSS")
        console.print(f"RSS after warm-up: {before:.1f} MB; soaking {minutes:g} min")
        outcomes = _run_all(targets, minutes * 60)
        after = memory_mb(process.pid, "VmRSS")
        still = get_status("http://127.0.0.1:8301/native/hello", timeout=5) == 200
    finally:
        peak = memory_mb(process.pid)
        stop(process)
    answered = sum(ok for _, ok, _ in outcomes)
    errors = {url: errs for url, _, errs in outcomes if errs}
    growth = (after - before) / before * 100
    console.print(f"answered {answered} requests; errors: {errors or 'none'}")
    console.print(
        f"RSS {before:.1f} MB -> {after:.1f} MB ({growth:+.1f} %), peak {peak:.1f} MB"
    )
    console.print(
        f"/native/hello after the soak: {'answers' if still else 'NO ANSWER'}"
    )
    passed = not errors and growth < 10 and still
    console.print("soak: PASSED" if passed else "soak: FAILED")
    sys.exit(0 if passed else 1)


def _run_all(
    targets: list[tuple[str, int]], seconds: float
) -> list[tuple[str, int, dict[str, int]]]:
    with ThreadPoolExecutor(len(targets)) as pool:
        futures = [pool.submit(_load, url, c, seconds) for url, c in targets]
        return [future.result() for future in futures]


if __name__ == "__main__":
    main()
