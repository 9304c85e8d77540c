"""The folder where the workers of `serve --workers N` leave their Prometheus values
(prometheus_client's multiprocess mode), so that `/metrics` sums them: made by the
supervisor, named to every worker in `PROMETHEUS_MULTIPROC_DIR`, emptied of a dead
worker's live gauges, removed at exit."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def current() -> Path | None:
    """The folder this process writes its values to; None: a process alone."""
    value = os.environ.get(VARIABLE)
    return Path(value) if value else None


def make() -> Path:
    return Path(tempfile.mkdtemp(prefix="twistbridge-metrics-"))


def forget_process(path: Path, pid: int) -> None:
    """A worker has ended: its live gauges (in flight, pools, lag) leave the sums;
    its counters stay in them, as counters must."""
    from prometheus_client.multiprocess import mark_process_dead

    mark_process_dead(pid, str(path))


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
