"""`make conformance`: Autobahn|Testsuite (`wstest -m fuzzingclient`) against every
WebSocket mount of the Site and uvicorn's, started here on 127.0.0.1 ephemeral ports,
and its verdicts counted per target (OK / NON-STRICT / INFORMATIONAL / UNIMPLEMENTED /
FAILED), with the time each target took on the 9.x cases (large messages, many
fragments, many small messages) and on the 12.x/13.x ones (permessage-deflate) as a
ratio of uvicorn's. The counts and every case's duration go to
bench/results/autobahn-<time>.json.

`wstest` is Python 2 code: `scripts/autobahn-setup.sh` gives it a virtualenv under
.conformance/. The whole suite is long (the 216 compression cases take hours on a busy
machine), hence:

- `--cases 1.*,2.*` runs a subset;
- `--parallel` runs one wstest per target at once (they are independent; wstest is
  single-threaded, so this uses the cores that are free). The durations of a parallel
  run compete for the same cores: take the time ratios from a sequential one;
- wstest writes its report only when its run ends, so each comma-separated pattern is
  a run of its own, and a run stopped at `--deadline` keeps every pattern it finished
  (the table says how many cases each target got through).

    python -m bench.autobahn [--cases 9.*] [--targets native,uvicorn] [--parallel]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bench.compare.servers import Servers
from core.mounts import UVICORN

WSTEST = Path(".conformance/py27/bin/wstest")
SETUP = Path("scripts/autobahn-setup.sh")
RESULTS = Path(__file__).resolve().parent / "results"
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
WS_TARGETS = ("native", "asgi", "klein", UVICORN)  # the targets with a /ws
TIMED = ("9.", "12.", "13.")  # the case groups whose time is compared with uvicorn's
# uvicorn's default --ws-max-size: Autobahn's largest messages (9.1.6) are 16 MiB.
FLAGS = ("--ws-max-size", str(16 * 1024 * 1024), "--ws-ping-interval", "0")

Index = dict[str, dict[str, dict[str, object]]]  # agent -> case id -> its verdict


def spec(url: str, agent: str, cases: list[str], reports: Path) -> dict[str, object]:
    """The fuzzingclient's spec: one target, the agent named after it."""
    return {
        "outdir": str(reports),
        "servers": [{"agent": agent, "url": url}],
        "cases": cases,
        "exclude-cases": [],
        "exclude-agent-cases": {},
    }


def ws_url(servers: Servers, target: str) -> str:
    return "ws" + servers.base(target)[4:] + "/ws"


def run_target(
    servers: Servers, target: str, patterns: list[str], out: Path, deadline: float
) -> Index:
    """One wstest per pattern, in turn, until the deadline: the verdicts merged."""
    merged: Index = {}
    for number, pattern in enumerate(patterns):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        run = out / target / str(number)
        reports = run / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        spec_file = run / "fuzzingclient.json"
        body = spec(ws_url(servers, target), target, [pattern], reports.resolve())
        spec_file.write_text(json.dumps(body))
        with (run / "wstest.log").open("w") as log:
            process = subprocess.Popen(
                [str(WSTEST.resolve()), "-m", "fuzzingclient", "-s", spec_file.name],
                cwd=run,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                process.wait(timeout=left)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                print(f"autobahn: {target} stopped at the deadline in {pattern}")
                break
        index = reports / "index.json"
        if process.returncode != 0 or not index.exists():
            print(f"autobahn: {target} {pattern}: wstest failed, see {run}/wstest.log")
            continue
        for agent, cases in json.loads(index.read_text()).items():
            merged.setdefault(agent, {}).update(cases)
    return merged


def seconds(
    cases: dict[str, dict[str, object]], prefix: str, among: Iterable[str]
) -> float:
    """The seconds of the cases under `prefix` among those named (a run stopped at
    its deadline is compared with uvicorn on the cases both ran)."""
    return (
        sum(
            int(str(cases[name].get("duration", 0)))
            for name in among
            if name.startswith(prefix) and name in cases
        )
        / 1000
    )


def table(index: Index) -> str:
    """The verdicts per target, and the timed groups' seconds against uvicorn's."""
    timed = [
        prefix
        for prefix in TIMED
        if any(name.startswith(prefix) for cases in index.values() for name in cases)
    ]
    head = [f"{p}x s | {p}x / uvicorn" for p in timed]
    lines = [
        "| target | cases | " + " | ".join([*VERDICTS, *head]) + " |",
        "|---" * (2 + len(VERDICTS) + 2 * len(timed)) + "|",
    ]
    for agent in WS_TARGETS:
        if agent not in index:
            continue
        cases = index[agent]
        counts = Counter(str(case["behavior"]) for case in cases.values())
        cells = [str(len(cases))] + [str(counts.get(v, 0)) for v in VERDICTS]
        for prefix in timed:
            ours = seconds(cases, prefix, cases)
            theirs = seconds(index.get(UVICORN, {}), prefix, cases)
            ratio = f"{ours / theirs:.2f}x" if theirs else "-"
            cells += [f"{ours:.2f}", ratio]
        lines.append(f"| `{agent}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def not_ok(index: Index) -> list[str]:
    """Every case whose verdict is not OK nor INFORMATIONAL, per target."""
    return [
        f"{agent} {name}: {case['behavior']} (close: {case['behaviorClose']})"
        for agent, cases in sorted(index.items())
        for name, case in sorted(cases.items())
        if case["behavior"] not in ("OK", "INFORMATIONAL")
    ]


def save(index: Index, args: argparse.Namespace, elapsed: float) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"autobahn-{time.strftime('%Y%m%d-%H%M%S')}.json"
    summary = {
        "cases": args.cases,
        "parallel": args.parallel,
        "elapsed_s": round(elapsed, 1),
        "targets": {
            agent: {
                "run": len(cases),
                "verdicts": Counter(str(c["behavior"]) for c in cases.values()),
                "durations_ms": {
                    n: c.get("duration") for n, c in sorted(cases.items())
                },
            }
            for agent, cases in index.items()
        },
        "not_ok": not_ok(index),
    }
    path.write_text(json.dumps(summary, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="*", help="comma-separated, e.g. 1.*,9.*")
    parser.add_argument("--targets", default=",".join(WS_TARGETS))
    parser.add_argument("--parallel", action="store_true", help="a wstest per target")
    parser.add_argument("--out", type=Path, default=Path(".conformance/run"))
    parser.add_argument("--deadline", type=float, default=7200, help="seconds at most")
    args = parser.parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    unknown = set(targets) - set(WS_TARGETS)
    if unknown:
        parser.error(f"no WebSocket on {', '.join(sorted(unknown))}")
    if not WSTEST.exists():
        subprocess.run([str(SETUP)], check=True)
    patterns = args.cases.split(",")
    started = time.monotonic()
    deadline = started + args.deadline
    index: Index = {}
    servers = Servers.start(args.out / "server.log", 4, None, flags=FLAGS)
    try:

        def one(target: str) -> None:
            index.update(run_target(servers, target, patterns, args.out, deadline))

        if args.parallel:
            threads = [threading.Thread(target=one, args=(t,)) for t in targets]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for target in targets:
                one(target)
    finally:
        servers.stop()
    print(table(index))
    for line in not_ok(index):
        print(line)
    print(f"autobahn: summary in {save(index, args, time.monotonic() - started)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
