"""WebSocket speed of every mount against uvicorn's, in one run on 127.0.0.1:

- many connections: N WebSockets held open at once on a target (the time to open
  them all and the server's CPU for it, its memory per connection), then rounds of
  one echo on each at once (the median round's p50, p99 and server CPU, and the
  worst round's p99);
- Autobahn 9.x-like messages on one connection: large single-frame text and
  binary, a large message in many fragments, many small messages sent before their
  echoes are read; on fresh servers, each scenario `--rounds` times on every target
  in turn, the mean server CPU.

Ratios are ours over uvicorn's (below 1: faster or smaller). Server CPU time is
read from /proc: the machine's other load inflates wall-clock figures, much less CPU. Uncompressed: the client
offers no permessage-deflate, so that the figures are the framework's, not zlib's.
The machine's other load skews single runs: compare ratios within one run only.

    python -m bench.ws_speed [--connections 5000] [--rounds 5] [--seconds 600]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from bench import ws_raw
from bench.compare.servers import Servers
from core.mounts import UVICORN

WS_TARGETS = ("native", "asgi", "klein", UVICORN)
FLAGS = ("--ws-max-size", str(16 * 1024 * 1024), "--ws-ping-interval", "0")
MIB = 1024 * 1024


def _cpu_s(pid: int) -> float:
    """The process's CPU time so far (user + system): what the server spent, which
    the machine's other load does not inflate as it does wall-clock time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _open(url: str) -> ClientConnection:
    return await connect(
        url, compression=None, max_size=None, ping_interval=None, open_timeout=60
    )


def many(url: str, pid: int, count: int, rounds: int) -> dict[str, float]:
    """Open `count` WebSockets (raw sockets: see bench.ws_raw), then `rounds` times
    one echo on each at once; close them. The round figures are those of the median
    round (by p99), beside the worst round's p99: a round in which CPython runs a
    full collection (one of every object of 5,000 connections, 0.2-0.35 s on the
    server here) has its p99 longer by that pause, whichever server it is."""
    before, cpu = _rss_kib(pid), _cpu_s(pid)
    started = time.perf_counter()
    sockets = ws_raw.open_many(url, count)
    opened = time.perf_counter() - started
    open_cpu = _cpu_s(pid) - cpu
    per_connection = (_rss_kib(pid) - before) * 1024 / count
    measured: list[tuple[float, float, float]] = []  # (p99, p50, CPU) a round
    try:
        for _ in range(rounds):
            time.sleep(0.5)  # the previous round's closing work done
            cpu = _cpu_s(pid)
            latencies = ws_raw.echo_round(sockets)
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            measured.append((p99, statistics.median(latencies), _cpu_s(pid) - cpu))
    finally:
        ws_raw.close_many(sockets)
    measured.sort()
    p99, p50, echo_cpu = measured[len(measured) // 2]
    return {
        "open_s": opened,
        "open_cpu_s": open_cpu,
        "bytes_per_conn": per_connection,
        "echo_cpu_ms": 1000 * echo_cpu,
        "p50_ms": 1000 * p50,
        "p99_ms": 1000 * p99,
        "worst_p99_ms": 1000 * measured[-1][0],
    }


async def _large_text(socket: ClientConnection) -> None:
    for _ in range(12):
        await socket.send("*" * (4 * MIB))
        await socket.recv()


async def _large_binary(socket: ClientConnection) -> None:
    for _ in range(12):
        await socket.send(b"\xfe" * (4 * MIB))
        await socket.recv()


async def _fragmented(socket: ClientConnection) -> None:
    message = b"\xfe" * (4 * MIB)
    for size in (64, 4096, 65536) * 3:
        pieces = [message[i : i + size * 16] for i in range(0, len(message), size * 16)]
        await socket.send(pieces)
        await socket.recv()


async def _small(socket: ClientConnection) -> None:
    for _ in range(3):
        for _ in range(1000):  # sent all, then read all (Autobahn 9.7, 9.8)
            await socket.send("x" * 64)
        for _ in range(1000):
            await socket.recv()


NINE: dict[str, Callable[[ClientConnection], Awaitable[None]]] = {
    "text 4 MiB": _large_text,
    "binary 4 MiB": _large_binary,
    "fragmented": _fragmented,
    "3x1000 small": _small,
}


async def nine(
    urls: dict[str, str], pids: dict[str, int], rounds: int
) -> dict[str, dict[str, float]]:
    """Server CPU seconds for each 9.x-like scenario on each target, on one
    connection each: the mean of `rounds` runs. The targets take turns within each
    round, in an order that rotates: run one target after another, the same server
    cost 0.90 s first and 0.69 s last in one run (the client and the machine settle
    as a run goes on), which decided the ratios. /proc counts in 10 ms ticks, some
    twenty a run: the mean, not the least of the runs, which picked the luckiest."""
    spent = {target: dict.fromkeys(NINE, 0.0) for target in urls}
    order = list(urls)
    for _ in range(rounds):
        for name, scenario in NINE.items():
            for target in order:
                socket = await _open(urls[target])
                cpu = _cpu_s(pids[target])
                await scenario(socket)
                spent[target][name] += _cpu_s(pids[target]) - cpu
                await socket.close()
        order = order[1:] + order[:1]
    means = {
        t: {n: total / rounds for n, total in row.items()} for t, row in spent.items()
    }
    for row in means.values():
        row["total"] = sum(row.values())
    return means


def _table(rows: dict[str, dict[str, float]], unit: str) -> str:
    names = list(next(iter(rows.values())))
    lines = [f"| target | {' | '.join(names)} |", "|---" * (len(names) + 1) + "|"]
    for target, row in rows.items():
        cells = []
        for name in names:
            ratio = row[name] / rows[UVICORN][name] if rows[UVICORN][name] else 0
            cells.append(f"{row[name]:.{unit}} ({ratio:.2f}x)")
        lines.append(f"| `{target}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _target(servers: Servers, target: str) -> tuple[str, int]:
    """A target's WebSocket URL and the PID of the process that serves it."""
    url = "ws" + servers.base(target)[4:] + "/ws"
    return url, servers.pids[-1] if target == UVICORN else servers.pids[0]


def held(target: str, log: Path, count: int, rounds: int) -> dict[str, float]:
    """`many` on servers of their own: memory freed by another target's connections
    would otherwise be reused by this one's and hide its cost."""
    servers = Servers.start(log, 4, None, flags=FLAGS)
    try:
        return many(*_target(servers, target), count, rounds)
    finally:
        servers.stop()


async def measure_all(log: Path, count: int, rounds: int) -> str:
    rows = {target: held(target, log, count, rounds) for target in WS_TARGETS}
    servers = Servers.start(log, 4, None, flags=FLAGS)  # fresh, for the messages
    try:
        found = {target: _target(servers, target) for target in WS_TARGETS}
        urls = {target: url for target, (url, _) in found.items()}
        pids = {target: pid for target, (_, pid) in found.items()}
        messages = await nine(urls, pids, rounds)
    finally:
        servers.stop()
    return (
        f"{count} WebSockets held, {rounds} rounds of one echo each at once, the "
        "median round (ratio to uvicorn):\n"
        + _table(rows, "2f")
        + f"\n\n9.x-like messages on fresh servers, the targets in turn, server CPU "
        f"seconds, the mean of {rounds} runs (ratio to uvicorn):\n"
        + _table(messages, "3f")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument(
        "--rounds", type=int, default=5, help="echo rounds, and runs of each 9.x one"
    )
    parser.add_argument("--seconds", type=float, default=600, help="at most")
    parser.add_argument("--log", type=Path, default=Path("bench/results/ws.log.tmp"))
    args = parser.parse_args(argv)
    report = asyncio.run(
        asyncio.wait_for(
            measure_all(args.log, args.connections, args.rounds), args.seconds
        )
    )
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
