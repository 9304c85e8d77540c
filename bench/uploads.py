"""Upload throughput and peak memory for 50 MiB bodies that an app streams to disk:
the ASGI bridge against uvicorn, the WSGI mount against gunicorn. Part of `make bench`
(`bench.speed` calls `measure`); the servers run on their own too:

    python -m bench.uploads asgi|wsgi PORT    one bridge under twistbridge's Site
                                              (its edge streams bodies)

and `bench.uploads:asgi_app` (uvicorn), `bench.uploads:wsgi_app` (gunicorn). Each
upload view writes the body to a temporary file as it arrives and answers its length.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from bench.measure import PY, Server, memory_mb, start, stop
from twisted_host.types import Receive, Scope, Send, StartResponse

if TYPE_CHECKING:
    from twisted.web.resource import Resource

MIB = 1024 * 1024
BODY_MIB = 50
LIMIT = 64 * MIB  # the Site's body limit for this bench (the default is 1 MiB)


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # no lifespan to run
    length = 0
    with tempfile.TemporaryFile() as sink:
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            length += sink.write(message.get("body", b""))
            more = message.get("more_body", False)
    body = b"%d" % length
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def wsgi_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    stream, length = environ["wsgi.input"], 0
    with tempfile.TemporaryFile() as sink:
        while block := stream.read(64 * 1024):
            length += sink.write(block)
    body = b"%d" % length
    start_response(
        "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    )
    return [body]


def serve(interface: str, port: int) -> None:
    """One bridge (`asgi` or `wsgi`) under twistbridge's Site, as `serve` hosts it."""
    from twisted_host.run.reactor import install_asyncio_reactor

    reactor = install_asyncio_reactor()
    from core.settings import Settings
    from twisted_host.bridges.asgi import ASGIResource
    from twisted_host.bridges.wsgi import WSGIMount
    from twisted_host.http.site import TwistbridgeSite
    from twisted_host.run.main import listen_forever

    root = (
        ASGIResource(asgi_app, lifespan=False)
        if interface == "asgi"
        else WSGIMount(reactor, wsgi_app, threads=10)
    )  # a leaf: every path is the upload view
    # Either is an IResource, all a Site asks of its root.
    site = TwistbridgeSite(cast("Resource", root), Settings(max_body_size=LIMIT))
    sys.exit(listen_forever(site, "127.0.0.1", port, f"{interface} uploads"))


def _servers() -> list[Server]:
    uvicorn = [PY, "-m", "uvicorn", "bench.uploads:asgi_app", "--port", "8212"]
    uvicorn += ["--loop", "uvloop", "--http", "httptools", "--lifespan", "off"]
    uvicorn += ["--no-access-log", "--log-level", "warning"]
    gunicorn = [PY, "-m", "gunicorn", "bench.uploads:wsgi_app", "-b", "127.0.0.1:8214"]
    gunicorn += ["-w", "1", "-k", "gthread", "--threads", "10"]
    bridge = [PY, "-m", "bench.uploads"]
    return [
        Server("twistbridge /asgi", [*bridge, "asgi", "8211"], 8211, "/asgi/upload"),
        Server("uvicorn", uvicorn, 8212, "/asgi/upload"),
        Server("twistbridge /wsgi", [*bridge, "wsgi", "8213"], 8213, "/wsgi/upload"),
        Server("gunicorn", gunicorn, 8214, "/wsgi/upload"),
    ]


# (label, ours, the reference)
PAIRS = [
    ("/asgi vs uvicorn", "twistbridge /asgi", "uvicorn"),
    ("/wsgi vs gunicorn", "twistbridge /wsgi", "gunicorn"),
]


def upload(server: Server, mib: int = BODY_MIB) -> float:
    """POST `mib` MiB as fast as the server takes them; the seconds it took."""
    block = b"u" * MIB
    head = (
        f"POST {server.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
        f"{mib * MIB}\r\nContent-Type: application/octet-stream\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(head)
        for _ in range(mib):
            sock.sendall(block)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    took = time.monotonic() - began
    if not answer.endswith(b"\r\n\r\n%d" % (mib * MIB)):
        raise RuntimeError(f"{server.name} answered {answer[:200]!r}")
    return took


def _app_pid(server: Server, pid: int) -> int:
    """The process that runs the app: gunicorn's one worker, else the server."""
    if server.name != "gunicorn":
        return pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(children[0])


def measure(rounds: int) -> dict[str, dict[str, Any]]:
    """Per server: MiB/s of each round's upload (interleaved rounds) and the peak
    RSS over them, in MB, with the RSS before the first."""
    servers = _servers()
    started = {server.name: start(server)[0] for server in servers}
    pids = {s.name: _app_pid(s, started[s.name].pid) for s in servers}
    try:
        before = {}
        for name, pid in pids.items():
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts here
            before[name] = memory_mb(pid, "VmRSS")
        speeds: dict[str, list[float]] = {server.name: [] for server in servers}
        for _ in range(rounds):
            for server in servers:
                speeds[server.name].append(BODY_MIB / upload(server))
        return {
            name: {
                "mib_per_s": speeds[name],
                "rss_before_mb": before[name],
                "peak_rss_mb": memory_mb(pids[name], "VmHWM"),
            }
            for name in pids
        }
    finally:
        for process in started.values():
            stop(process)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
