"""What the real apps of the differential suite answer, the same in each framework:
the paths, the stream's pacing and the sample file, so each app is a thin layer.

| path | answer |
|---|---|
| `GET /json` | `{"hello": "world", "n": 1}` |
| `POST /json` | the JSON body, echoed |
| `POST /form` | the form's fields as JSON (urlencoded or multipart) |
| `POST /upload` | `{"length": N, "sha256": ...}` of the body, read in pieces |
| `GET /stream` | `LINES` lines, `PAUSE` s apart |
| `GET /sse` | `EVENTS` server-sent events, `PAUSE` s apart |
| `GET /file` | `sample.bin` (ranges where the framework serves them) |
| `GET /error` | an exception before the response: 500 |
| `GET /error-mid-stream` | two lines, then an exception |
"""

from __future__ import annotations

import hashlib
from pathlib import Path

LINES = 10
EVENTS = 4
PAUSE = 0.1  # the stream takes LINES * PAUSE = 1 s: a first byte at once, or not
SAMPLE = Path(__file__).resolve().parent / "sample.bin"
GREETING = {"hello": "world", "n": 1}


def line(index: int) -> bytes:
    return b"line %d\n" % index


def event(index: int) -> bytes:
    return b"id: %d\ndata: tick %d\n\n" % (index, index)


class Digest:
    """The length and SHA-256 of a body read in pieces."""

    def __init__(self) -> None:
        self.length = 0
        self.hash = hashlib.sha256()

    def update(self, data: bytes) -> None:
        self.length += len(data)
        self.hash.update(data)

    def result(self) -> dict[str, object]:
        return {"length": self.length, "sha256": self.hash.hexdigest()}


class Boom(RuntimeError):
    """What the error routes raise."""
