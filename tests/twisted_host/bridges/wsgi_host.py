"""Serves small WSGI apps at /w, on `WSGIMount` or on gunicorn (the reference):

    python -m tests.twisted_host.bridges.wsgi_host [mount|edge|gunicorn]

(`edge`: the mount under twistbridge's own Site, whose edge streams request bodies
(with the parser `EDGE_HTTP` names in the environment, else the default, the mount
on the Site's direct lane as `twistbridge serve` puts it: httptools takes it there)
and enforces its limits, the body limit raised to 64 MiB, the idle timeout 2 s) prints its ready line
once it takes requests. The apps show what a server does with
an app's iterator (close(), a client gone, blocks yielded over time, a failure after
some blocks) and with the request body (read as it arrives)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

EVENTS: list[str] = []
PREFIX = "/w"


class Tracked:
    """An app iterator that records how far it got and whether close() ran."""

    def __init__(
        self, name: str, chunks: int, fail_at: int | None, pause: float
    ) -> None:
        self.name, self.chunks, self.fail_at, self.pause = name, chunks, fail_at, pause

    def __iter__(self) -> Iterator[bytes]:
        for index in range(self.chunks):
            if index == self.fail_at:
                raise RuntimeError(f"{self.name} fails at chunk {index}")
            EVENTS.append(f"{self.name} chunk {index}")
            time.sleep(self.pause)
            yield b"x" * 70000

    def close(self) -> None:
        EVENTS.append(f"{self.name} closed")


def lines(count: int, pause: float) -> Iterator[bytes]:
    """`count` lines, `pause` seconds apart (a view that streams a slow report)."""
    for index in range(count):
        if index:
            time.sleep(pause)
        yield b"line %d\n" % index


def blocks(megabytes: int, tag: str) -> Iterator[bytes]:
    """`megabytes` MiB in 64 KiB blocks, each recorded as it is yielded."""
    for index in range(megabytes * 16):
        EVENTS.append(f"{tag} block {index}")
        yield b"b" * 65536


def fails_after_two() -> Iterator[bytes]:
    yield b"first block\n"
    yield b"second block\n"
    raise RuntimeError("the generator fails after two blocks")


def to_disk(environ: dict[str, Any], tag: str) -> dict[str, Any]:
    """Reads the body in 64 KiB reads into a temporary file, as an upload view does."""
    stream = environ["wsgi.input"]
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as sink:
        try:
            while block := stream.read(65536):
                digest.update(block)
                size += len(block)
                sink.write(block)
        except Exception:
            EVENTS.append(f"disconnect {tag}")  # the client left mid-body
            raise
    return {"length": size, "sha256": digest.hexdigest()}


def upload(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """What the ASGI upload app does (asgi_apps.upload_app), as a WSGI view."""
    query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
    tag = query.get("tag", "")
    EVENTS.append(f"called {tag}")
    time.sleep(float(query.get("delay", "0")))
    if query.get("read") == "no":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"not read"]
    EVENTS.append(f"reading {tag}")
    return as_json(start_response, to_disk(environ, tag))


def describe(environ: dict[str, Any]) -> dict[str, Any]:
    """The environ's framing keys, as the app sees them."""
    keys = ("CONTENT_LENGTH", "CONTENT_TYPE", "wsgi.input_terminated")
    seen = {key: environ[key] for key in keys if key in environ}
    seen["http_content"] = sorted(k for k in environ if k.startswith("HTTP_CONTENT"))
    return seen


def as_json(start_response: Any, value: object) -> list[bytes]:
    body = json.dumps(value).encode()
    length = str(len(body))
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", length)]
    )
    return [body]


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
    if path == "/events":
        return as_json(start_response, EVENTS)
    if path == "/upload":
        return upload(environ, start_response)
    if path == "/environ":
        return as_json(start_response, describe(environ))
    if path == "/headers":  # the HTTP_ keys, as the app sees them
        headers = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
        return as_json(start_response, headers)
    if path == "/lines":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return lines(int(query.get("n", "20")), float(query.get("pause", "0.05")))
    if path == "/big":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return blocks(int(query.get("mb", "16")), query.get("tag", ""))
    if path == "/write":  # the legacy write() callable, then an empty iterable
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written ")
        write(b"blocks\n")
        return []
    if path == "/fails-after-two":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return fails_after_two()
    name = environ["QUERY_STRING"] or path
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    if path == "/normal":
        return Tracked(name, 2, None, 0)
    if path == "/fails":
        return Tracked(name, 3, 1, 0)
    return Tracked(name, 50, None, 0.1)  # /slow: five seconds of chunks


def serve_mount(edge: bool) -> None:
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.server import Site

    from core.settings import Settings
    from twisted_host.bridges.wsgi import WSGIMount
    from twisted_host.http.site import TwistbridgeSite

    root = Resource()
    mount = WSGIMount(reactor, app, threads=4)
    root.putChild(PREFIX[1:].encode(), mount)
    parser = os.environ.get("EDGE_HTTP", Settings.http)  # the edge's parser
    settings = Settings(max_body_size=64 * 1024 * 1024, idle_timeout=2, http=parser)
    site: Site = Site(root)
    if edge:
        site = edge_site = TwistbridgeSite(root, settings)
        edge_site.lanes.add(PREFIX, mount)
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    print(f"wsgi ready: http://127.0.0.1:{port.getHost().port}/", flush=True)
    reactor.run()


def mounted(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """`app` under /w, as the mount's SCRIPT_NAME makes it."""
    environ["SCRIPT_NAME"] = PREFIX
    environ["PATH_INFO"] = environ["PATH_INFO"][len(PREFIX) :]
    return app(environ, start_response)


def serve_gunicorn() -> None:
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    def when_ready(server: Arbiter) -> None:
        port = server.LISTENERS[0].sock.getsockname()[1]
        print(f"gunicorn ready: http://127.0.0.1:{port}/", flush=True)

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": "127.0.0.1:0",
                "workers": 1,
                "worker_class": "gthread",
                "threads": 4,
                "when_ready": when_ready,
                "loglevel": "warning",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return mounted

    Gunicorn().run()


if __name__ == "__main__":
    serve_gunicorn() if sys.argv[1:] == ["gunicorn"] else serve_mount(
        sys.argv[1:] == ["edge"]
    )
