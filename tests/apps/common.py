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
| `GET, POST /seen` | the WSGI environ or ASGI scope the app was given, as JSON |
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LINES = 10
EVENTS = 8
PAUSE = 0.1  # a stream takes about 1 s: its first byte comes at once, or at the end
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


# The ASGI spec's HTTP scope keys: what frameworks add (FastAPI's router, Django's
# nothing) is theirs, not the server's.
SCOPE_KEYS = (
    "type", "asgi", "http_version", "method", "scheme", "path", "raw_path",
    "query_string", "root_path", "headers", "client", "server", "extensions",
)  # fmt: skip


def environ_json(environ: Mapping[str, Any]) -> dict[str, Any]:
    """The environ's plain values (strings, numbers, flags, wsgi.version)."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in environ.items()
        if isinstance(value, str | int | bool | tuple)
    }


def scope_json(scope: Mapping[str, Any]) -> dict[str, Any]:
    """The scope's spec keys, bytes as latin-1 text."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return value.decode("latin-1")
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    return {key: plain(scope[key]) for key in SCOPE_KEYS if key in scope}
