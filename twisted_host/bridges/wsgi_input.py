"""`wsgi.input` for a body that arrives while the app runs (`BodyStream`).

The app reads from a worker thread; the body lives in the reactor thread. A read
that finds nothing left over asks the reactor for what has arrived since
(`blockingCallFromThread`: one round trip per batch, however small the app's reads),
which also lets the stream resume a transport it had paused. PEP 3333's input
methods: `read`, `readline`, `readlines`, iteration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import cast

from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.threads import blockingCallFromThread

from twisted_host.http.body import BodyStream


class StreamInput:
    """A file-like reader over a `BodyStream`, for the app's thread."""

    def __init__(self, reactor: IReactorFromThreads, stream: BodyStream) -> None:
        self._reactor = reactor
        self._stream = stream
        self._buffer = bytearray()
        self._done = False

    def _fill(self) -> bool:
        """More bytes into the buffer; False at the end of the body."""
        if self._done:
            return False
        # The Deferred's result: mypy cannot pick it out of blockingCallFromThread's
        # union of signatures, so the reader is typed by what the call returns.
        read = cast("Callable[[], bytes]", self._stream.read)
        data = blockingCallFromThread(self._reactor, read)
        if not data:
            self._done = True
            return False
        self._buffer += data
        return True

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, size: int | None = -1) -> bytes:
        # As a file (and gunicorn) reads: `size` bytes, fewer only at the end.
        while (size is None or size < 0 or len(self._buffer) < size) and self._fill():
            pass
        return self._take(len(self._buffer) if size is None or size < 0 else size)

    def readline(self, size: int | None = -1) -> bytes:
        limit = size if size is not None and size >= 0 else None
        while b"\n" not in self._buffer and (
            limit is None or len(self._buffer) < limit
        ):
            if not self._fill():
                break
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        return self._take(end if limit is None else min(end, limit))

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines, total = [], 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line
