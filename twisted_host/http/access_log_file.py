"""Where the access log's lines go: kept in memory between writes (once a second, or
at once when `MAX_LINES` wait), written with one system call, and bounded whatever
the file does.

A file that refuses a write (a full disk: ENOSPC; a quota; an I/O error) costs the
lines of that write: they are dropped and counted (`dropped`, on `/stats` and
`/metrics`), and standard error says so at once, then once a minute while it lasts,
one line each time, and once more when the file takes lines again: the next write
is tried as usual, so writing resumes as soon as the disk has room. Nothing waits
for room: a server on a full disk keeps serving in bounded memory.

The lines are written to the file descriptor, not through Python's buffered stream:
a buffered stream keeps the bytes a failed write could not place and offers them
again with the next write, so what was lost and what was written would depend on
its buffer. `reopen` opens the path again (logrotate's `postrotate` sends SIGUSR1:
`twisted_host.run.log_files`).
"""

from __future__ import annotations

import os
import stat
import time
from typing import TextIO

from twisted_host.run.process import say

MAX_LINES = 10_000  # about 2 MB of lines; a busy second writes at once past it
SAY_EVERY = 60.0  # seconds between two lines about the same failing file
_NEWLINE = ord("\n")


def reopenable_path(stream: TextIO, fd: int) -> str | None:
    """The absolute path of the regular file `stream` writes to, when its name is
    that path (a file opened by name); None for standard output, a pipe, a device."""
    name = getattr(stream, "name", None)
    if not isinstance(name, str):
        return None
    try:
        status = os.fstat(fd)
        if stat.S_ISREG(status.st_mode) and os.path.samestat(os.stat(name), status):
            return os.path.abspath(name)
    except OSError:
        pass
    return None


class AccessLogFile:
    """The access log of one process: `append` a line per request, `flush` once a
    second, `reopen` on SIGUSR1."""

    def __init__(self, stream: TextIO) -> None:
        self.fd = stream.fileno()
        self.path = reopenable_path(stream, self.fd)
        # Kept to be closed when a reopen replaces it (it owns `fd`).
        self._stream: TextIO | None = stream if self.path is not None else None
        self.name = self.path or getattr(stream, "name", f"fd {self.fd}")
        self.lines: list[str] = []
        self.dropped = 0  # lines lost since the start
        self._failure: OSError | None = None  # the last write's, while it fails
        self._unsaid = 0  # lines dropped since the last line about it
        self._said_at = 0.0
        self._mid_line = False  # a partial write left a line unfinished

    def append(self, line: str) -> None:
        self.lines.append(line)
        if len(self.lines) >= MAX_LINES:
            self.flush()

    def flush(self) -> None:
        """Write the lines logged since the last call, in one write (or as many as
        the file takes); drop and count the rest."""
        if not self.lines:
            self._remind()
            return
        lines, self.lines = self.lines, []
        data = ("\n" if self._mid_line else "") + "\n".join(lines) + "\n"
        view = memoryview(data.encode("utf-8", "backslashreplace"))
        written = 0
        try:
            while written < len(view):
                written += os.write(self.fd, view[written:])
        except OSError as error:
            if written:
                self._mid_line = view[written - 1] != _NEWLINE
            # The lines whose end did not reach the file (the fix-up "\n" aside).
            self._refused(error, min(len(lines), view[written:].tobytes().count(b"\n")))
            return
        self._mid_line = False
        if self._failure is not None:
            self._failure = None
            say(
                f"access log: writing to {self.name} again; "
                f"{self._unsaid} lines dropped since the last report, "
                f"{self.dropped} in all"
            )
            self._unsaid = 0

    def _refused(self, error: OSError, lost: int) -> None:
        self.dropped += lost
        self._unsaid += lost
        if self._failure is None:
            self._failure = error
            self._said_at = time.monotonic()
            say(
                f"access log: cannot write to {self.name}: {error.strerror}; "
                f"{lost} lines dropped, and every line until it can "
                f"(said again every {SAY_EVERY:g} s while it lasts)"
            )
            self._unsaid = 0
        else:
            self._failure = error
            self._remind()

    def _remind(self) -> None:
        if self._failure is None or time.monotonic() - self._said_at < SAY_EVERY:
            return
        self._said_at = time.monotonic()
        say(
            f"access log: still cannot write to {self.name}: "
            f"{self._failure.strerror}; {self._unsaid} lines dropped in the last "
            f"{SAY_EVERY:g} s, {self.dropped} in all"
        )
        self._unsaid = 0

    def reopen(self) -> str | None:
        """Open the log's path again (after a rotation moved the file away) and write
        there from now on; the path, or None when the log is not a file of its own
        (standard output, a pipe). A path that cannot be opened keeps the old file."""
        if self.path is None:
            return None
        self.flush()  # what was logged before the rotation goes with the old file
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as error:
            say(f"access log: cannot reopen {self.path}: {error.strerror}")
            return None
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        else:
            os.close(self.fd)
        self.fd = fd
        self._mid_line = False
        return self.path
