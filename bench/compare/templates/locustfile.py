"""The scenarios of `twistbridge compare`, for Locust: a master and any number of
workers, on as many machines, load a deployment's /native, /wsgi, /asgi and /klein.

Written by `twistbridge compare --locustfile PATH`, with the plan below filled in;
it needs only Locust on the load machines. Run it, then turn the CSV into the report:

    locust -f PATH --master --headless --expect-workers N --host http://SITE --csv run
    locust -f PATH --worker --master-host MASTER          # on each load machine
    twistbridge compare --from-locust run -o report/

Each stage loads one path on one target with as many users as the point's
connections, each sending one request at a time (no wait), as the builtin engine
does. A user names its requests by its own clock: its warm-up, then its measurement
windows, then "drain" until the stage ends, so that the windows are comparable
across workers and the requests cut by a stage's end count nowhere.
"""

from __future__ import annotations

import datetime
import json
import math
import time
from pathlib import Path
from typing import Any, ClassVar

import locust
from locust import LoadTestShape, User, constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

PLAN: dict[str, Any] = json.loads("{}")  # the stages; filled in when written


def request_name(stage: dict[str, Any], label: str) -> str:
    """What Locust's CSV calls a request: stage, then warm-up, window k of n, drain."""
    return (
        f"{stage['scenario']} {stage['target']} c={stage['concurrency']} "
        f"{stage['path']} {label}"
    )


def stage_seconds(stage: dict[str, Any]) -> int:
    """Whole seconds (a shape is asked once a second): the ramp, the warm-up and the
    windows, and two more for the users to be spawned on every worker (each user's
    windows start with it)."""
    measured = float(
        stage["ramp"] + stage["warmup"] + stage["window"] * stage["repeats"]
    )
    return math.ceil(measured) + 2


class Leg(FastHttpUser):
    """A connection of one stage, closed loop: the next request when one ends."""

    abstract = True
    wait_time = constant(0)
    stage: ClassVar[dict[str, Any]] = {}  # set on each stage's subclass

    def on_start(self) -> None:
        self.started = time.monotonic()

    def label(self) -> str:
        stage = self.stage
        elapsed = time.monotonic() - self.started - stage["warmup"]
        if elapsed < 0:
            return "warmup"
        window = int(elapsed // stage["window"])
        if window >= stage["repeats"]:
            return "drain"
        return f"window {window + 1}/{stage['repeats']} of {stage['window']:g} s"

    @task
    def load(self) -> None:
        stage = self.stage
        name = request_name(stage, self.label())
        path = f"/{stage['target']}{stage['path']}"
        with self.client.get(path, name=name, catch_response=True) as response:
            status = response.status_code
            if not status:  # no answer: the connection's error, by its class name
                error = response.request_meta["exception"]
                response.failure(type(error).__name__ if error else "closed")
            elif not 200 <= status < 300:
                response.failure(f"http_{status}")
            else:
                response.success()


def _stage_class(index: int, stage: dict[str, Any]) -> type[Leg]:
    attributes = {
        "abstract": False,
        "stage": stage,
        "network_timeout": PLAN["timeout"],
        "connection_timeout": PLAN["timeout"],
    }
    return type(f"Stage{index:03d}", (Leg,), attributes)


# One user class per stage, named alike on the master and every worker (the master
# tells the workers which class to run by its name).
STAGES = [_stage_class(i, stage) for i, stage in enumerate(PLAN.get("stages", []))]
globals().update({cls.__name__: cls for cls in STAGES})


class Stages(LoadTestShape):
    """The stages one after another, each followed by a second with no user (Locust
    keeps the users it has when only their class changes); the run ends after the
    last."""

    def tick(self) -> tuple[int, float, list[type[User]] | None] | None:
        run_time = self.get_run_time()  # type: ignore[no-untyped-call]
        end = 0.0
        for cls in STAGES:
            users = int(cls.stage["concurrency"])
            ramp = float(cls.stage["ramp"])
            rate = users / ramp if ramp > 0 else float(users * 100)
            end += stage_seconds(cls.stage)
            if run_time < end:
                return users, rate, [cls]
            end += 1
            if run_time < end:
                return 0, float(users * 100), [cls]
        return None


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# When the run started and with how many workers (they have quit by its end).
_start: dict[str, Any] = {}


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _started(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    workers = runner.worker_count if isinstance(runner, MasterRunner) else 1
    _start.update(started=_now(), workers=workers)


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _save_plan(environment: Environment, **_: Any) -> None:
    """On the master (or a lone Locust), PREFIX_plan.json beside Locust's CSV: what
    `twistbridge compare --from-locust PREFIX` needs besides the figures."""
    options = environment.parsed_options
    prefix = getattr(options, "csv_prefix", None)
    if prefix is None or isinstance(environment.runner, WorkerRunner):
        return
    saved = PLAN | _start | {"host": environment.host, "finished": _now()}
    saved["locust"] = locust.__version__
    Path(f"{prefix}_plan.json").write_text(json.dumps(saved, indent=2) + "\n")
