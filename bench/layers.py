"""Where a request's time goes, by layer, on twistbridge and on the server a goal of
`make bench` compares it with: each serves `GET /hello` to wrk while py-spy samples
it, and every sample is charged to the layer of its deepest frame that one of them
owns: the app (the same Starlette, Flask or twisted.web page on both), the server's
Python (twistbridge's edge, lanes and bridges, Twisted, uvicorn), or the event loop
(asyncio's runner, whose C code — uvloop's, the socket calls — py-spy does not see).
The pairs: `/asgi` and uvicorn (the same Starlette app; uvicorn's has a `Mount` more
around it), `/wsgi` alone (see PAIRS), `/native` and a bare twisted.web leaf (where
the "app" is one small render, all else the server).

    python -m bench.layers [asgi|wsgi|native ...] [--seconds 8]

Samples per thousand requests grow with whatever else runs on the machine, so each
layer is also given in units of the app's own cost on the same server: the app is
the same code on both sides, so "server ÷ app" compares the servers' overhead
however loaded the machine was. py-spy runs --nonblocking: pausing a process with
many threads (ours has its WSGI pools) for each sample would slow it more than one.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import click
from rich.table import Table

from bench.measure import PY, Server, console, pin_load, start, stop

APP, SERVER, LOOP, OTHER = "app", "server", "event loop", "other"
# A frame's file decides its layer; the first pattern that matches wins.
_LAYERS = [
    (APP, r"starlette|flask|werkzeug|jinja2|asgi_app|wsgi_app|core"),
    (APP, r"twisted_host/native|bench/anchors"),  # the pages of /native, a bare leaf
    (SERVER, r"twisted_host|twisted|uvicorn|granian|httptools|h11"),
    (LOOP, r"asyncio|uvloop"),
]
# py-spy names a frame "function (path/of/file.py:line)", the path from sys.path.
_PATTERNS = [(name, re.compile(rf"[(/]({dirs})[/.]")) for name, dirs in _LAYERS]
_SERVE = [PY, "-m", "twisted_host", "serve", "--uvicorn-port", "0", "--no-access-log"]
_UVICORN = [PY, "-m", "uvicorn", "bench.anchors:starlette_app", "--loop", "uvloop"]
_UVICORN += ["--http", "httptools", "--no-access-log", "--log-level", "warning"]
PAIRS: dict[str, tuple[Server, ...]] = {
    "asgi": (
        Server("twistbridge /asgi", [*_SERVE, "--port", "8241"], 8241, "/asgi/hello"),
        Server("uvicorn httptools", [*_UVICORN, "--port", "8242"], 8242, "/asgi/hello"),
    ),
    # granian's HTTP work is Rust and its idle threads look busy to py-spy: only
    # twistbridge's layers mean something here.
    "wsgi": (
        Server("twistbridge /wsgi", [*_SERVE, "--port", "8243"], 8243, "/wsgi/hello"),
    ),
    "native": (
        Server(
            "twistbridge /native", [*_SERVE, "--port", "8245"], 8245, "/native/hello"
        ),
        Server(
            "bare twisted.web leaf",
            [PY, "-m", "bench.anchors", "bare-twisted", "8246"],
            8246,
            "/",
        ),
    ),
}


def layer(stack: list[str]) -> str:
    """The layer of a sample: that of its deepest frame a layer owns."""
    for frame in reversed(stack):
        for name, pattern in _PATTERNS:
            if pattern.search(frame):
                return name
    return OTHER


def read_raw(path: Path) -> Counter[str]:
    """py-spy's raw (collapsed) output as samples per layer."""
    layers: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        layers[layer(stack.split(";"))] += int(count)
    return layers


def _wrk(url: str, seconds: float) -> int:
    out = subprocess.run(
        ["wrk", "-t1", "-c64", f"-d{seconds:g}s", url],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"(\d+) requests in", out)
    if found is None:
        raise RuntimeError(f"wrk said: {out[-300:]}")
    return int(found.group(1))


def profile(server: Server, seconds: float) -> tuple[int, Counter[str]]:
    """Requests wrk made while py-spy sampled the server (and its children: granian
    runs its worker in one), and the samples per layer."""
    process, _ = start(server)
    try:
        _wrk(server.url, 1.0)  # warm-up
        with tempfile.TemporaryDirectory() as folder:
            raw = Path(folder) / "raw.txt"
            spy = subprocess.Popen(
                [str(Path(PY).parent / "py-spy"), "record", "-p", str(process.pid), "-s", "--nonblocking", "-r", "250",
                 "-d", f"{seconds + 1:g}", "-f", "raw", "-o", str(raw)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            requests = _wrk(server.url, seconds)
            spy.wait(timeout=seconds + 60)
            return requests, read_raw(raw)
    finally:
        stop(process)


def _table(pair: str, figures: dict[str, tuple[int, Counter[str]]]) -> Table:
    table = Table(title=f"{pair}: samples per 1000 requests (÷ the app's own)")
    table.add_column("server")
    for name in (APP, SERVER, LOOP, OTHER, "all"):
        table.add_column(name, justify="right")
    for server, (requests, layers) in figures.items():
        app = layers[APP] or 1
        cells = [
            f"{1000 * layers[n] / requests:.1f} ({layers[n] / app:.2f})"
            for n in (APP, SERVER, LOOP, OTHER)
        ]
        total = sum(layers.values())
        table.add_row(
            server, *cells, f"{1000 * total / requests:.1f} ({total / app:.2f})"
        )
    return table


@click.command()
@click.argument("pairs", nargs=-1, type=click.Choice(list(PAIRS)))
@click.option("--seconds", default=8.0, show_default=True, type=click.FloatRange(2, 60))
def main(pairs: tuple[str, ...], seconds: float) -> None:
    """Profile each pair (default: all) under wrk and print its layers."""
    pin_load()
    for pair in pairs or tuple(PAIRS):
        figures = {server.name: profile(server, seconds) for server in PAIRS[pair]}
        console.print(_table(pair, figures))


if __name__ == "__main__":
    main()
