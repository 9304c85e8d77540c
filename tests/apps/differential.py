"""The differential suite's machinery: each real app on twistbridge (`serve --wsgi/
--asgi`, one process for all of them) and on its reference server (uvicorn for ASGI,
gunicorn for WSGI), started once per module on 127.0.0.1, and what a comparison looks
at: status, the headers that matter, the body, when the first byte came."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import httpx

from tests.apps.common import PAUSE
from tests.client import PLAIN_HTTP
from tests.servers import Server

T = TypeVar("T")

# name: (interface, import string, how the reference server is started)
APPS: dict[str, tuple[str, str, list[str]]] = {
    "fastapi": ("asgi", "tests.apps.fastapi_app:app", ["uvicorn"]),
    "django-asgi": ("asgi", "tests.apps.djangoproject.asgi:application", ["uvicorn"]),
    "django-wsgi": ("wsgi", "tests.apps.djangoproject.wsgi:application", ["gunicorn"]),
    "flask": ("wsgi", "tests.apps.flask_app:app", ["gunicorn"]),
}
# Bodies up to the 3 MiB upload, and beyond: the edge's 1 MiB default would refuse it.
MAX_BODY = 64 * 1024 * 1024


def prefix(name: str) -> str:
    return "/" + name


def serve_args() -> list[str]:
    """`twistbridge serve` hosting every app of the suite, and nothing else."""
    args = ["--no-demo", "--no-access-log", "--max-body-size", str(MAX_BODY)]
    for name, (interface, target, _) in APPS.items():
        args += [f"--{interface}", f"{prefix(name)}={target}"]
    return args


def reference_env(name: str) -> dict[str, str]:
    """gunicorn takes the prefix (SCRIPT_NAME) from its environment."""
    return {"SCRIPT_NAME": prefix(name)} if APPS[name][0] == "wsgi" else {}


def reference_base(name: str, url: str) -> str:
    """Where the app's paths start on its reference server: under the prefix on
    gunicorn, as on twistbridge; uvicorn adds its --root-path to the path itself."""
    return url + prefix(name) if APPS[name][0] == "wsgi" else url


def reference_argv(name: str) -> list[str]:
    """The reference server for an app; `{port}` is filled in by `reference`."""
    interface, target, _ = APPS[name]
    if interface == "asgi":
        # --root-path: the app sees the prefix it has on twistbridge, and so builds
        # the same scope (uvicorn prepends it to the path, as the bridge's path has it).
        return [
            sys.executable, "-m", "uvicorn", target, "--port", "{port}",
            "--root-path", prefix(name), "--no-access-log",
        ]  # fmt: skip
    # gthread: keep-alive and pipelining, as the bridge; threads as a small pool.
    return [
        sys.executable, "-m", "gunicorn", target, "--bind", "127.0.0.1:{port}",
        "--worker-class", "gthread", "--threads", "4", "--graceful-timeout", "2",
        "--no-control-socket",  # one per user otherwise: parallel runs would share it
    ]  # fmt: skip


@dataclass
class Pair:
    """One app, served by twistbridge (`ours`) and by its reference (`theirs`)."""

    name: str
    interface: str
    ours: str  # base URL: where the app's paths start
    theirs: str
    server: Server  # twistbridge, for its log

    def bases(self) -> list[str]:
        return [self.ours, self.theirs]

    def at_once(self, fetch: Callable[[str], T]) -> tuple[T, T]:
        """`fetch` of ours and of theirs, side by side: a stream takes a second or
        two on each, and the two do not wait for each other."""
        with ThreadPoolExecutor(2) as pool:
            mine, reference = pool.map(fetch, self.bases())
        return mine, reference


# What a client or a cache acts on; Date, Server and the framing (Content-Length or
# chunked: the server's choice where the app gives no length) are left out.
HEADERS = (
    "content-type",
    "content-range",
    "accept-ranges",
    "cache-control",
    "content-disposition",
    "etag",
    "last-modified",
    "location",
    "allow",
)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def ask(url: str, method: str = "GET", **kwargs: object) -> Answer:
    with httpx.Client(timeout=30, verify=PLAIN_HTTP) as client:
        reply = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    headers = {name: reply.headers[name] for name in HEADERS if name in reply.headers}
    length = reply.headers.get("content-length")
    if length is not None and method != "HEAD":
        assert int(length) == len(reply.content)
    return Answer(reply.status_code, headers, reply.content)


@dataclass
class Timed:
    status: int
    headers: dict[str, str]
    body: bytes
    first_byte: float  # seconds from the request to the first byte of the body
    total: float  # seconds from the request to the end of the body
    complete: bool  # the body ended as its framing said (not cut)

    @property
    def streamed(self) -> bool:
        """The body came spread over the app's pauses, not held back to the end: a
        held-back body comes in one go, the last byte just after the first. Measured
        from the first byte, not the request: on a loaded machine the reference
        (gunicorn) once sent its first line 1.1 s into a 2.1 s stream. Load can
        delay the first byte, but cannot shrink the pauses that come after it."""
        return self.total - self.first_byte >= 3 * PAUSE


def timed(url: str) -> Timed:
    """GET `url`, noting when the first byte of the body came."""
    started = time.monotonic()
    first = None
    pieces: list[bytes] = []
    complete = True
    with (
        httpx.Client(timeout=30, verify=PLAIN_HTTP) as client,
        client.stream("GET", url) as reply,
    ):
        try:
            for piece in reply.iter_raw():
                if first is None and piece:
                    first = time.monotonic() - started
                pieces.append(piece)
        except httpx.RemoteProtocolError:
            complete = False  # the server cut the response short
        headers = {k: reply.headers[k] for k in HEADERS if k in reply.headers}
        status = reply.status_code
    end = time.monotonic() - started
    first_byte = end if first is None else first
    return Timed(status, headers, b"".join(pieces), first_byte, end, complete)


@contextmanager
def clean_log(server: Server) -> Iterator[None]:
    """Nothing the block does leaves a traceback in the server's log."""
    before = len(server.output())
    yield
    time.sleep(0.1)  # what the last request made the server write
    written = server.output()[before:]
    assert "Traceback" not in written, written
    assert "never retrieved" not in written, written
