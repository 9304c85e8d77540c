"""`M/proxy/<path>` with its upstream connections pooled (`--proxy-pool 32`, the
default) against one connection per request (`--proxy-pool 0`), as ratios measured
in one run: over plain HTTP and over HTTPS (the default upstream, uvicorn beside the
Site, then serves the Site's certificate: a TLS handshake per unpooled request).

    python -m bench.proxy_pool [--rounds 3] [--duration 3] [--clients 8]

Both servers run side by side, measured in interleaved rounds (drift on the machine
hits both alike); each figure is the median of the rounds' requests a second, each
client a keep-alive connection to the Site. Results go to
bench/results/proxy-pool-<time>.json.
"""

from __future__ import annotations

import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import httpx
import trustme

from bench.measure import PY, console, stop
from core.mounts import MOUNT_NAMES
from twisted_host.run.process import READY

RESULTS = Path(__file__).resolve().parent / "results"
MOUNTS = MOUNT_NAMES  # every mount's proxy pools
POOLS = {"pooled": "32", "unpooled": "0"}


def _start(pool: str, tls: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    argv = [PY, "-m", "twisted_host", "serve", "--port", "0", "--uvicorn-port", "auto"]
    argv += ["--no-access-log", "--proxy-pool", pool, *tls]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert process.stdout is not None
    for line in process.stdout:
        if match := READY.search(line.decode().strip()):
            return process, match.group(1)
    raise RuntimeError(f"the server with --proxy-pool {pool} did not start")


def _rate(
    url: str, verify: ssl.SSLContext | bool, clients: int, seconds: float
) -> float:
    """Requests a second, `clients` keep-alive clients asking `url` for `seconds`."""

    def one(_: int) -> int:
        done = 0
        with httpx.Client(verify=verify, timeout=30) as client:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                assert client.get(url).status_code == 200
                done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(one, range(clients)))
    return total / (time.monotonic() - started)


def _measure(
    scheme: str, rounds: int, seconds: float, clients: int, folder: Path
) -> dict[str, dict[str, float]]:
    tls: list[str] = []
    verify: ssl.SSLContext | bool = False
    if scheme == "https":
        ca = trustme.CA()
        issued = ca.issue_cert("127.0.0.1")
        pem = folder / "site.pem"
        issued.private_key_and_cert_chain_pem.write_to_path(str(pem))
        tls = ["--ssl-certfile", str(pem)]
        verify = ssl.create_default_context()
        ca.configure_trust(verify)
    servers = {name: _start(pool, tls) for name, pool in POOLS.items()}
    rates: dict[str, dict[str, list[float]]] = {
        m: {n: [] for n in POOLS} for m in MOUNTS
    }
    try:
        for round_ in range(rounds):
            for mount in MOUNTS:
                for name, (_, base) in servers.items():  # interleaved
                    url = f"{base}/{mount}/proxy/hello"
                    rate = _rate(url, verify, clients, seconds)
                    rates[mount][name].append(rate)
                    console.print(f"{scheme} round {round_ + 1} /{mount} {name:9}")
    finally:
        for process, _ in servers.values():
            stop(process)
    return {
        mount: {
            "pooled_over_unpooled": statistics.median(by["pooled"])
            / statistics.median(by["unpooled"])
        }
        for mount, by in rates.items()
    }


@click.command()
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1))
@click.option("--duration", default=3.0, show_default=True, type=click.FloatRange(0.5))
@click.option("--clients", default=8, show_default=True, type=click.IntRange(1, 64))
def main(rounds: int, duration: float, clients: int) -> None:
    """Pooled against unpooled upstream connections, as ratios."""
    with tempfile.TemporaryDirectory() as folder:
        ratios = {
            scheme: _measure(scheme, rounds, duration, clients, Path(folder))
            for scheme in ("http", "https")
        }
    for scheme, by_mount in ratios.items():
        for mount, figure in by_mount.items():
            ratio = figure["pooled_over_unpooled"]
            console.print(f"{scheme:5} /{mount}/proxy: pooled {ratio:.2f}x unpooled")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"proxy-pool-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps({"rounds": rounds, "clients": clients, **ratios}, indent=2)
    )
    console.print(f"written: {out}")


if __name__ == "__main__":
    sys.exit(main())
