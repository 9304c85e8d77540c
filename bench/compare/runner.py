"""Runs the matrix: every point on every target, then the lesson, restarting the
servers when a point left one of them with a backlog that would skew the next."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.compare.external import External
from bench.compare.lesson import MODES, measure
from bench.compare.probe import get_status
from bench.compare.results import PointResult, Results
from bench.compare.scenarios import Point, Profile, points
from bench.compare.servers import Servers, split_cpus
from bench.load.spec import LoadSpec
from bench.load.workers import run as run_load


@dataclass(frozen=True)
class Plan:
    profile: Profile
    scenarios: tuple[str, ...]
    targets: tuple[str, ...]
    wsgi_threads: int
    pin: bool
    output: Path
    # A deployment already running (`--target URL`): nothing is started here, and
    # every core of this machine generates load.
    external: str | None = None

    def steps(self) -> int:
        count = len(points(self.profile, self.scenarios)) * len(self.targets)
        if "lesson" in self.scenarios:
            count += len(self.targets) * len(MODES) * self.profile.lesson_repeats
        return count


# Called after each step: (what was measured, one line of figures).
Report = Callable[[str, str], None]


class Runner:
    def __init__(self, plan: Plan, results: Results, report: Report) -> None:
        self.plan = plan
        self.results = results
        self.report = report
        self.servers: Servers | External | None = None
        self.server_cpus: set[int] | None = None
        self.load_cpus: set[int] | None = None
        self.workers = 1
        if plan.external is not None:
            self.workers = os.cpu_count() or 1
        elif plan.pin and hasattr(os, "sched_setaffinity"):
            self.server_cpus, self.load_cpus = split_cpus()
            if self.server_cpus == self.load_cpus:
                self.server_cpus = self.load_cpus = None  # one core: nothing to split
            else:
                self.workers = len(self.load_cpus)
        self.starts = 0

    def start_servers(self) -> Servers | External:
        if self.servers is None and self.plan.external is not None:
            self.servers = External(self.plan.external)
        if self.servers is None:
            self.starts += 1
            self.servers = Servers.start(
                self.plan.output / "server.log",
                self.plan.wsgi_threads,
                self.server_cpus,
                busy_max=max(60.0, self.plan.profile.busy_seconds),
            )
            pids = self.results.meta.setdefault("server_pids", [])
            pids.extend(self.servers.pids)
        return self.servers

    def stop_servers(self) -> None:
        servers, self.servers = self.servers, None
        if servers is not None:
            servers.stop()

    async def run(self) -> None:
        profile = self.plan.profile
        for point in points(profile, self.plan.scenarios):
            for target in self.plan.targets:
                await self._point(point, target)
        if "lesson" in self.plan.scenarios:
            for target in self.plan.targets:
                for _ in range(profile.lesson_repeats):
                    for mode in MODES:
                        await self._lesson(target, mode)

    async def _point(self, point: Point, target: str) -> None:
        servers = self.start_servers()
        spec = LoadSpec(
            url=servers.base(target) + point.path,
            concurrency=point.concurrency,
            duration=point.window,
            windows=self.plan.profile.repeats,
            warmup=point.warmup,
            ramp=point.ramp,
            timeout=self.plan.profile.timeout,
            workers=min(self.workers, point.concurrency),  # a connection each at least
        )
        result = await run_load(spec)
        measured = PointResult(point, target, result)
        self.results.add(measured)
        throughput = measured.throughput()
        p99 = measured.latency("p99").median
        errors = sum(measured.errors().values())
        line = f"{throughput.median:,.1f} req/s, p99 {p99 * 1000:,.1f} ms"
        line += f", {errors} errors" if errors else ""
        self.report(
            f"{point.scenario} {point.path} c={point.concurrency} {target}", line
        )
        await self._settle(target, f"{point.path} at {point.concurrency} connections")

    async def _lesson(self, target: str, mode: str) -> None:
        servers = self.start_servers()
        profile = self.plan.profile
        run = await measure(
            target,
            servers.base(target),
            mode,
            profile.lesson_blockers,
            profile.lesson_seconds,
            profile.lesson_interval,
            profile.timeout,
        )
        self.results.lesson(target, mode).runs.append(run)
        figures = run.latency().summary()
        line = f"clock p50 {figures['p50'] * 1000:,.1f} ms, p99 {figures['p99'] * 1000:,.1f} ms"
        self.report(f"lesson {mode} x{run.blockers} {target}", line)
        await self._settle(target, f"the lesson's {mode}")

    async def _settle(self, target: str, what: str) -> None:
        """Wait until the target answers `hello` again; restart everything if it
        cannot soon (a WSGI pool still working through queued requests)."""
        servers = self.servers
        if servers is None:
            return
        wait = max(2.0, 2 * self.plan.profile.busy_seconds)
        loop = asyncio.get_running_loop()
        url = servers.base(target) + "/hello"
        status = await loop.run_in_executor(None, get_status, url, wait)
        if status is None:
            note = f"{target} was still busy {wait:g} s after {what}: servers restarted"
            self.results.notes.append(note)
            self.report("restart", note)
            self.stop_servers()
