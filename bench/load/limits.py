"""Open-file limits: a connection is a file descriptor, and 1000 connections need
more than the usual soft limit of 1024 once the process's own files are counted."""

from __future__ import annotations

import resource


def raise_nofile() -> tuple[int, int]:
    """Raise this process's RLIMIT_NOFILE soft limit to its hard limit.

    Returns (soft before, soft now). Children started afterwards inherit the limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if wanted > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, wanted
    return soft, soft


def describe(before: int, now: int) -> str:
    if now > before:
        return f"open-file limit (RLIMIT_NOFILE) raised from {before} to {now}"
    return f"open-file limit (RLIMIT_NOFILE) is {now}"
