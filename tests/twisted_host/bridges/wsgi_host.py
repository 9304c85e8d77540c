"""Serves small WSGI apps on `WSGIMount` at /w, to watch what the mount does with an
app's iterator: `python -m tests.twisted_host.bridges.wsgi_host` prints its ready line."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

EVENTS: list[str] = []


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
            yield b"x" * 70000  # over the hand-off size: each chunk goes out

    def close(self) -> None:
        EVENTS.append(f"{self.name} closed")


def app(environ: dict[str, Any], start_response: Any) -> Any:
    path = environ["PATH_INFO"]
    if path == "/events":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(EVENTS).encode()]
    name = environ["QUERY_STRING"] or path
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    if path == "/normal":
        return Tracked(name, 2, None, 0)
    if path == "/fails":
        return Tracked(name, 3, 1, 0)
    return Tracked(name, 50, None, 0.1)  # /slow: five seconds of chunks


def main() -> None:
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.server import Site

    from twisted_host.bridges.wsgi import WSGIMount

    root = Resource()
    root.putChild(b"w", WSGIMount(reactor, app, threads=4))
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    print(f"wsgi ready: http://127.0.0.1:{port.getHost().port}/", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
