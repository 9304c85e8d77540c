"""`serve --reload`: watch the source (watchfiles, as uvicorn) and replace the serving
processes when a watched file changes.

The processes are the workers of `twisted_host.run.supervisor` (one without
`--workers`): a change replaces them as SIGHUP does, each new worker listening on the
supervisor's socket before the old one drains, so that no request is refused while
the code reloads. A new worker that fails (a syntax error in an app: its one-line
error says the file and line) leaves the old one serving and the watcher watching;
the next change tries again. uvicorn's defaults: the working folder, `*.py`, and
not `.*`, `.py[cod]`, `.sw.*`, `~*`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from fnmatch import fnmatch
from pathlib import Path

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from watchfiles import Change, DefaultFilter, watch

INCLUDES = ("*.py",)
EXCLUDES = (".*", ".py[cod]", ".sw.*", "~*")


class SourceFilter(DefaultFilter):
    """watchfiles' filter (no .git, __pycache__, .venv...) and the glob patterns of
    --reload-include and --reload-exclude, matched against a file's name; an
    include pattern lifts the default exclude it names, as uvicorn's does."""

    def __init__(self, includes: Sequence[str], excludes: Sequence[str]) -> None:
        super().__init__()
        self.includes = (*INCLUDES, *includes)
        defaults = [pattern for pattern in EXCLUDES if pattern not in includes]
        self.excludes = (*defaults, *excludes)

    def __call__(self, change: Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        name = Path(path).name
        wanted = any(fnmatch(name, pattern) for pattern in self.includes)
        return wanted and not any(fnmatch(name, p) for p in self.excludes)


def start_watching(
    reactor: AsyncioSelectorReactor,
    reload: Callable[[], None],
    folders: Sequence[str],
    includes: Sequence[str],
    excludes: Sequence[str],
) -> None:
    """Call `reload` on the reactor's thread after each batch of changes under
    `folders` (default: the working folder), until the reactor stops."""
    stop = threading.Event()
    paths = [Path(folder).resolve() for folder in folders or ["."]]
    source = SourceFilter(includes, excludes)

    def run() -> None:
        for changes in watch(*paths, watch_filter=source, stop_event=stop):
            names = sorted({Path(path).name for _, path in changes})
            print(
                f"twistbridge: {', '.join(names)} changed: reloading",
                file=sys.stderr,
                flush=True,
            )
            reactor.callFromThread(reload)

    reactor.addSystemEventTrigger("before", "shutdown", stop.set)
    threading.Thread(target=run, name="twistbridge-reload", daemon=True).start()
    where = ", ".join(str(path) for path in paths)
    print(f"twistbridge: watching {where} (--reload)", file=sys.stderr, flush=True)
