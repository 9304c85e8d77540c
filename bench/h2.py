"""HTTP/2 over TLS for `make bench`: `/asgi/hello` on twistbridge against hypercorn (the
same `h2` library under the same Starlette app) and granian (HTTP/2 in Rust), driven
by nghttp2's `h2load` (`-c8 -m16`: eight connections, sixteen streams each at once),
in interleaved rounds, each server pinned to core 0 and h2load on core 1 as
`bench.speed` pins them. Part of `make bench` (`bench.speed` calls `measure`).

Every server gets the same certificate, issued for 127.0.0.1 by a trustme CA made for
the run, and writes no access log (hypercorn and granian write none by default).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.measure import PY, Server, console, spread, start, stop

CONNECTIONS = 8
STREAMS = 16  # concurrent streams per connection (h2load -m)
PATH = "/asgi/hello"
# (label, ours, the reference, goal or 0.0): issue 21's goal first.
PAIRS = [
    ("HTTP/2 /asgi/hello vs hypercorn (goal >= 1.5)", "twistbridge /asgi", "hypercorn", 1.5),
    ("HTTP/2 /asgi/hello vs granian ASGI", "twistbridge /asgi", "granian ASGI", 0.0),
]  # fmt: skip

_RATE = re.compile(r"finished in [\d.]+\w*, ([\d.]+) req/s")
_DONE = re.compile(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored")  # fmt: skip


def h2load() -> str | None:
    """The h2load binary (Debian's nghttp2-client, `scripts/system-deps.sh`)."""
    return shutil.which("h2load")


def _servers(cert: Path, key: Path) -> list[Server]:
    serve = [
        PY,
        "-m",
        "twisted_host",
        "serve",
        "--uvicorn-port",
        "0",
        "--no-access-log",
    ]
    serve += ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    hypercorn = [PY, "-m", "hypercorn", "bench.anchors:starlette_app", "-k", "uvloop"]
    hypercorn += ["--certfile", str(cert), "--keyfile", str(key), "-w", "1"]
    granian = [
        str(Path(PY).parent / "granian"),
        "--interface",
        "asgi",
        "--loop",
        "uvloop",
    ]
    # auto: HTTP/2 when ALPN asks for it (h2load does), HTTP/1.1 for the readiness probe.
    granian += [
        "--http",
        "auto",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    granian += [
        "--ssl-certificate",
        str(cert),
        "--ssl-keyfile",
        str(key),
        "--host",
        "127.0.0.1",
    ]
    return [
        Server("twistbridge /asgi", [*serve, "--port", "8231"], 8231, PATH, tls=True),
        Server("hypercorn", [*hypercorn, "-b", "127.0.0.1:8232"], 8232, PATH, tls=True),
        Server("granian ASGI", [*granian, "--port", "8233", "bench.anchors:starlette_app"], 8233, PATH, tls=True),
    ]  # fmt: skip


def run_h2load(url: str, seconds: float) -> tuple[float, int]:
    """req/s of one h2load run after a second's warm-up, and its failed requests."""
    tool = h2load()
    assert tool is not None
    argv = [tool, f"-c{CONNECTIONS}", f"-m{STREAMS}", "-t1", "--warm-up-time=1"]
    argv += [f"-D{seconds:g}", url]
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=seconds + 30, check=False
    ).stdout
    rate, done = _RATE.search(out), _DONE.search(out)
    if rate is None or done is None:
        raise RuntimeError(f"h2load said: {out[-500:]}")
    return float(rate.group(1)), int(done.group(2)) + int(done.group(3))


def measure(rounds: int, seconds: float) -> dict[str, dict[str, list[float]]]:
    """Per server: req/s of each round (interleaved) and the failed requests."""
    # Imported here: `twistbridge docs` imports this module (bench.speed's) from an
    # installed wheel, where trustme, a test dependency, is not.
    import trustme

    with tempfile.TemporaryDirectory() as folder:
        issued = trustme.CA().issue_cert("127.0.0.1")
        cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        issued.cert_chain_pems[0].write_to_path(str(cert))
        issued.private_key_pem.write_to_path(str(key))
        servers = _servers(cert, key)
        started = {server.name: start(server)[0] for server in servers}
        figures: dict[str, dict[str, list[float]]] = {
            s.name: {"req_per_s": [], "failed": []} for s in servers
        }
        try:
            for round_ in range(rounds):
                for server in servers:
                    rate, failed = run_h2load(server.url, seconds)
                    figures[server.name]["req_per_s"].append(rate)
                    figures[server.name]["failed"].append(failed)
                    console.print(
                        f"h2 round {round_ + 1} {server.name:20} {rate:9.0f} req/s"
                    )
        finally:
            for process in started.values():
                stop(process)
    return figures


def ratios(figures: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    """Each pair as the spread of its per-round ratios."""
    out = {}
    for label, mine, theirs, _goal in PAIRS:
        rates = zip(
            figures[mine]["req_per_s"], figures[theirs]["req_per_s"], strict=True
        )
        out[label] = spread([a / b for a, b in rates if b])
    return out
