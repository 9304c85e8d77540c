"""Sharing a run between processes: one event loop per process, one clock for all.

Extra workers are spawned (not forked: the parent may run threads, e.g. rich's live
display); each reports ready, then all start at one `time.monotonic()` instant, which
is the same clock in every process on Linux, so their windows line up and add up.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import time
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import Any

from bench.load.engine import drive
from bench.load.result import LoadResult
from bench.load.spec import LoadSpec

_READY_TIMEOUT = 30.0


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_sync(spec: LoadSpec) -> LoadResult:
    """Run `spec` to the end from synchronous code, on uvloop."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(run(spec))


def _worker(
    spec: LoadSpec,
    ready: Queue[int],
    go: Event,
    start: Synchronized[float],
    results: Queue[dict[str, Any]],
) -> None:
    ready.put(1)
    if not go.wait(_READY_TIMEOUT):
        return
    with asyncio.Runner(loop_factory=new_loop) as runner:
        result = runner.run(drive(spec, start.value))
    results.put(result.to_dict())


async def run(spec: LoadSpec) -> LoadResult:
    """Run `spec` on the running loop, with `spec.workers - 1` extra processes."""
    if spec.workers == 1:
        return await drive(spec)
    context = multiprocessing.get_context("spawn")
    ready: Queue[int] = context.Queue()
    results: Queue[dict[str, Any]] = context.Queue()
    go = context.Event()
    start: Synchronized[float] = context.Value("d", 0.0)
    processes: list[SpawnProcess] = [
        context.Process(
            target=_worker,
            args=(spec.share(index, spec.workers), ready, go, start, results),
            daemon=True,
        )
        for index in range(1, spec.workers)
    ]
    loop = asyncio.get_running_loop()
    started: list[SpawnProcess] = []
    try:
        for process in processes:
            process.start()
            started.append(process)
        for _ in processes:
            await loop.run_in_executor(None, ready.get, True, _READY_TIMEOUT)
        start.value = time.monotonic() + 0.05
        go.set()
        result = await drive(spec.share(0, spec.workers), start.value)
        wait = spec.timeout + 10.0
        for _ in processes:
            data = await loop.run_in_executor(None, results.get, True, wait)
            result.merge(LoadResult.from_dict(data))
        result.concurrency = spec.concurrency
        return result
    except queue.Empty:
        raise RuntimeError("a load worker process did not answer") from None
    finally:
        go.set()  # a worker still waiting must not wait for ever
        for process in started:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()  # our own child, by its handle
                process.join()
            process.close()
        for channel in (ready, results):
            channel.close()
            channel.join_thread()
