"""Two sentences under each waterfall, made from what the leg measured."""

from __future__ import annotations

from typing import Any

from core.busy import WAITED_ON
from core.mounts import ASGI, UVICORN, WSGI
from twisted_host.dashboard.race.leg import LegRecord
from twisted_host.dashboard.race.spec import RaceSpec, takes_seconds

BLOCKED = 0.2  # seconds of reactor lag that mean "it was blocked", not "it was busy"


def figures(record: LegRecord, spec: RaceSpec, threads: int) -> dict[str, Any]:
    """The leg's figures as the table and the sentences use them."""
    timings = record.timings.values()
    # An answer is any HTTP response (not-found races for its 404); a request cut
    # off, refused or timed out has none, and no end time the sentences count.
    answered = [t for t in timings if t.status is not None]
    ends = [t.end for t in answered if t.end is not None]
    # The first round: the answers within half a wait of the first one.
    first_round = [end for end in ends if end <= min(ends) + spec.seconds / 2]
    return {
        "mount": record.target.name,
        "url": record.target.url,
        "requests": spec.requests,
        "answered": len(answered),
        "failed": spec.requests - len(answered),
        "server_errors": sum(1 for t in answered if t.status and t.status >= 500),
        "first_end": round(min(ends), 3) if ends else None,
        "finished_in": round(max(ends), 3) if ends else None,
        "first_round": len(first_round),
        "max_lag": round(max((lag for _, lag in record.lags), default=0.0), 3),
        "max_busy": max((n for _, n in record.busy), default=0),
        "max_backlog": max((n for _, n in record.backlog), default=0),
        "threads": threads,
    }


def sentences(found: dict[str, Any], spec: RaceSpec, path: str) -> list[str]:
    n, took = found["requests"], found["finished_in"]
    if took is None:
        return [f"None of the {n} requests to {path} was answered.", _lag(found)]
    head = f"{n} requests to {path} finished in {_duration(took)}"
    if not takes_seconds(spec.feature) or spec.seconds <= 0:
        first = (
            f"{head}; the first answer came after {found['first_end'] * 1000:.0f} ms."
        )
        return [first, _lag(found)]
    mount = ASGI.name if found["mount"] == UVICORN else found["mount"]
    waited = WAITED_ON[(mount, spec.feature.name)]
    rounds = took / spec.seconds
    if found["mount"] == WSGI.name and found["max_backlog"] > 0:
        first = (
            f"{head} because the pool has {found['threads']} threads: "
            f"{found['threads']} ran at a time and up to {found['max_backlog']} queued for one."
        )
    elif rounds < 1.5:
        first = f"{head}: all at once, each on {waited}."
    elif found["finished_in"] - found["first_end"] < spec.seconds / 4:
        first = (
            f"{head}, {rounds:.0f} times the {spec.seconds:g} s each asked for, yet "
            f"every answer left at the end: one after another, each held {waited}."
        )
    else:
        first = f"{head}, {found['first_round']} at a time: each held {waited}."
    return [first, _lag(found)]


def _lag(found: dict[str, Any]) -> str:
    lag_ms = found["max_lag"] * 1000
    if found["mount"] == UVICORN:
        text = (
            f"This reactor was late by at most {lag_ms:.0f} ms: uvicorn is another "
            "process, its loop is not this reactor"
        )
    elif found["max_lag"] >= BLOCKED:
        text = (
            f"The reactor was late by up to {lag_ms:.0f} ms: blocked, it served "
            "nothing else, not even the other mounts"
        )
    else:
        text = (
            f"The reactor was never late by more than {lag_ms:.0f} ms"
            if lag_ms >= 1
            else "The reactor was never late by as much as 1 ms"
        )
    if found["failed"]:
        text += f"; {found['failed']} of the requests got no answer"
    if found["server_errors"]:
        text += f"; {found['server_errors']} got a 5xx"
    return text + "."


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
