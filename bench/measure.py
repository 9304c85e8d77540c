"""The measuring primitives of `make bench`: a server started (pinned to core 0, or
not) and stopped by its PID, its memory from /proc, throughput with wrk in interleaved
rounds, many connections waiting at once, the burst of `bench.burst`, start-up time,
and a list of figures as its median, min and max."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from bench import burst
from bench.compare.probe import get_status
from bench.load.external import run_wrk
from bench.load.spec import LoadSpec
from bench.load.workers import run_sync

Spread = dict[str, float]  # "median", "min", "max": see spread
PY = sys.executable
console = Console()


@dataclass(frozen=True)
class Server:
    name: str
    argv: list[str]
    port: int
    path: str  # what /hello is called on it
    pinned: bool = True  # to core 0; else any core
    tls: bool = False  # https, with a certificate the bench made (`bench.h2`)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{self.path}"


def _on_core_zero() -> None:
    os.sched_setaffinity(0, {0})


def start(server: Server, timeout: float = 30) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server on core 0; return it and the seconds to its first answer."""
    started = time.monotonic()
    process = subprocess.Popen(
        server.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=_on_core_zero if server.pinned else None,
    )  # fmt: skip
    while time.monotonic() - started < timeout:
        if get_status(server.url, timeout=2) == 200:  # None until it listens
            return process, time.monotonic() - started
        time.sleep(0.01)
    stop(process)
    raise RuntimeError(f"{server.name} did not answer {server.url}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """A process's memory from /proc: VmHWM (its peak RSS) or VmRSS (now)."""
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def throughput(
    servers: list[Server], rounds: int, duration: float
) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {server.name: [] for server in servers}
    processes = {server.name: start(server)[0] for server in servers}
    try:
        for round_ in range(rounds):
            for server in servers:  # interleaved: one point of each per round
                spec = LoadSpec(
                    server.url, concurrency=64, duration=duration, warmup=1.0
                )
                result = run_wrk(spec).total()
                figures[server.name].append(result.throughput)
                console.print(
                    f"round {round_ + 1} {server.name:24} {result.throughput:9.0f} req/s"
                )
    finally:
        for process in processes.values():
            stop(process)
    return figures


def many_waiting(
    server: Server, path: str, connections: int, seconds: float
) -> dict[str, float]:
    """`connections` connections each sending one `busy?seconds=S` request, opened
    over one second (the built-in engine: wrk opens all at once and keeps sending):
    whether all are answered, their p99, and the server's peak RSS."""
    process, _ = start(server)
    try:
        url = f"http://127.0.0.1:{server.port}{path}?seconds={seconds:g}"
        spec = LoadSpec(
            url,
            concurrency=connections,
            requests=connections,
            duration=None,
            warmup=0,
            ramp=1.0,
            timeout=seconds * 8,
        )
        total = run_sync(spec).total()
        return {
            "connections": connections,
            "answered": total.ok,
            "errors": total.error_count,
            "p50_s": total.latency.percentile(50),
            "p99_s": total.latency.percentile(99),
            "max_s": total.latency.max,
            "rss_mb": memory_mb(process.pid),
        }
    finally:
        stop(process)


def burst_run(server: Server, path: str, connections: int) -> dict[str, float]:
    """`bench.burst` against one server, with its peak RSS."""
    process, _ = start(server)
    try:
        spec = burst.spec(f"http://127.0.0.1:{server.port}", path, connections)
        return burst.figures(run_wrk(spec), connections, memory_mb(process.pid))
    finally:
        stop(process)


def startup(server: Server, times: int = 3) -> list[float]:
    seconds = []
    for _ in range(times):
        process, took = start(server)
        stop(process)
        seconds.append(took)
    return seconds


def spread(values: list[float]) -> Spread:
    """A list of figures as its median, min and max."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
