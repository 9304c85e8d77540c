"""`--engine wrk` and `--engine hey`: the same run by a Debian load tool, its figures
read back into a LoadResult so that reports compare like with like.

wrk: a Lua `done()` hook prints its whole latency histogram (value, count pairs in
microseconds) and its error counters as JSON. hey: `-o csv` gives every response's
latency and status; hey leaves transport errors out of its CSV, so they are not seen.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from bench.load.result import (
    CLOSED,
    CONNECT_ERROR,
    CONNECT_REFUSED,
    TIMEOUT,
    LoadResult,
    Window,
)
from bench.load.spec import LoadSpec

ENGINES = ("builtin", "wrk", "hey")

_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'TWISTBRIDGE {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"histogram":[',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format('%s[%d,%d]', i > 1 and ',' or '', value, count))
  end
  io.write(']}\\n')
end
"""


class Unreachable(RuntimeError):
    """The tool could not connect at all."""


class EngineMissing(RuntimeError):
    """The external tool is not installed; str() says how to get it."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise EngineMissing(f"{name} is not installed (Debian: apt-get install {name})")
    return path


def _seconds(value: float) -> str:
    # wrk and hey take whole seconds; never less than one.
    return f"{max(1, math.ceil(value))}s"


def run_wrk(spec: LoadSpec) -> LoadResult:
    """One wrk run per window, after a wrk warm-up run (its figures discarded)."""
    wrk = _tool("wrk")
    if spec.duration is None:
        raise ValueError("wrk runs for a duration, not a number of requests")
    threads = max(1, min(spec.workers, spec.concurrency))
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "done.lua"
        script.write_text(_WRK_DONE)
        base = [wrk, f"-t{threads}", f"-c{spec.concurrency}", "-s", str(script)]
        base += [f"--timeout={_seconds(spec.timeout)}"]
        if not spec.keepalive:
            base += ["-H", "Connection: close"]
        if spec.warmup > 0:
            with contextlib.suppress(Unreachable):
                _run([*base, f"-d{_seconds(spec.warmup)}", spec.url], spec.warmup)
        windows = []
        for _ in range(spec.windows):
            try:
                out = _run(
                    [*base, f"-d{_seconds(spec.duration)}", spec.url], spec.duration
                )
            except Unreachable:
                # wrk gives up at the first refused connection: one error, no figures.
                windows.append(
                    Window(spec.duration, errors=Counter({CONNECT_REFUSED: 1}))
                )
                continue
            windows.append(_wrk_window(out))
    return LoadResult(spec.url, spec.concurrency, windows, engine="wrk")


def _wrk_window(output: str) -> Window:
    for line in output.splitlines():
        if line.startswith("TWISTBRIDGE "):
            data = json.loads(line.removeprefix("TWISTBRIDGE "))
            break
    else:
        raise RuntimeError(f"wrk gave no figures:\n{output}")
    errors: Counter[str] = Counter()
    errors[CONNECT_ERROR] += data["connect"]
    errors[CLOSED] += data["read"] + data["write"]
    errors[TIMEOUT] += data["timeout"]
    # wrk counts 4xx and 5xx together, without the codes.
    errors["http_4xx_5xx"] += data["status"]
    window = Window(
        duration=data["duration_us"] / 1_000_000,
        ok=data["requests"] - data["status"],
        errors=+errors,
    )
    for value, count in data["histogram"]:
        window.latency.record_micros(value, count)
    return window


def run_hey(spec: LoadSpec) -> LoadResult:
    hey = _tool("hey")
    base = [
        hey,
        "-c",
        str(spec.concurrency),
        "-t",
        str(max(1, math.ceil(spec.timeout))),
    ]
    base += ["-o", "csv"]
    if not spec.keepalive:
        base.append("-disable-keepalive")
    if spec.warmup > 0:
        _run([*base, "-z", _seconds(spec.warmup), spec.url], spec.warmup)
    windows = []
    for _ in range(spec.windows):
        if spec.requests is not None:
            amount = ["-n", str(spec.requests)]
            expected = spec.timeout * spec.requests
        else:
            amount = ["-z", _seconds(spec.duration or 1)]
            expected = spec.duration or 1
        windows.append(_hey_window(_run([*base, *amount, spec.url], expected), spec))
    return LoadResult(spec.url, spec.concurrency, windows, engine="hey")


def _hey_window(output: str, spec: LoadSpec) -> Window:
    window = Window(duration=spec.duration or 0.0)
    last = 0.0
    for row in csv.DictReader(io.StringIO(output)):
        seconds = float(row["response-time"])
        status = int(row["status-code"])
        last = max(last, float(row["offset"]) + seconds)
        if 200 <= status < 300:
            window.ok += 1
            window.latency.record(seconds)
        else:
            window.errors[f"http_{status}"] += 1
    if spec.requests is not None:
        window.duration = last
    return window


def _run(argv: list[str], expected: float) -> str:
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=expected + 60, check=False
    )
    if done.returncode != 0:
        if "unable to connect" in done.stderr:
            raise Unreachable(done.stderr.strip())
        raise RuntimeError(f"{Path(argv[0]).name} failed: {done.stderr.strip()}")
    return done.stdout
