"""`make conformance`: Autobahn|Testsuite (`wstest -m fuzzingclient`) against every
WebSocket mount of the Site and uvicorn's, started here on 127.0.0.1 ephemeral ports,
and its verdicts counted per target (OK / NON-STRICT / INFORMATIONAL / UNIMPLEMENTED /
FAILED), with the time each target took on the 9.x cases (large messages, many
fragments, many small messages) as a ratio of uvicorn's.

`wstest` is Python 2 code: `scripts/autobahn-setup.sh` gives it a virtualenv under
.conformance/. The whole suite is long; `--cases 1.*,2.*` runs a subset.

    python -m bench.autobahn [--cases 9.*] [--out .conformance/run]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.compare.servers import Servers
from core.mounts import UVICORN

WSTEST = Path(".conformance/py27/bin/wstest")
SETUP = Path("scripts/autobahn-setup.sh")
VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")
WS_TARGETS = ("native", "asgi", "klein", UVICORN)  # the targets with a /ws
# uvicorn's default --ws-max-size: Autobahn's largest messages (9.1.6) are 16 MiB.
FLAGS = ("--ws-max-size", str(16 * 1024 * 1024), "--ws-ping-interval", "0")


def spec(servers: Servers, cases: list[str], reports: Path) -> dict[str, object]:
    """The fuzzingclient's spec: one agent per target, named after it."""
    return {
        "outdir": str(reports),
        "servers": [
            {"agent": target, "url": "ws" + servers.base(target)[4:] + "/ws"}
            for target in WS_TARGETS
        ],
        "cases": cases,
        "exclude-cases": [],
        "exclude-agent-cases": {},
    }


def table(index: dict[str, dict[str, dict[str, object]]]) -> str:
    """The verdicts per target, and the 9.x time against uvicorn's."""
    lines = [
        "| target | " + " | ".join(VERDICTS) + " | 9.x seconds | 9.x / uvicorn |",
        "|---" * (len(VERDICTS) + 3) + "|",
    ]
    nine = {
        agent: sum(
            int(str(case.get("duration", 0)))
            for name, case in cases.items()
            if name.startswith("9.")
        )
        / 1000
        for agent, cases in index.items()
    }
    for agent in WS_TARGETS:
        if agent not in index:
            continue
        counts = Counter(str(case["behavior"]) for case in index[agent].values())
        ratio = nine[agent] / nine[UVICORN] if nine.get(UVICORN) else 0.0
        cells = [str(counts.get(verdict, 0)) for verdict in VERDICTS]
        lines.append(
            f"| `{agent}` | " + " | ".join(cells) + f" | {nine[agent]:.2f} | "
            f"{ratio:.2f}x |"
        )
    return "\n".join(lines)


def not_ok(index: dict[str, dict[str, dict[str, object]]]) -> list[str]:
    """Every case whose verdict is not OK nor INFORMATIONAL, per target."""
    return [
        f"{agent} {name}: {case['behavior']} (close: {case['behaviorClose']})"
        for agent, cases in sorted(index.items())
        for name, case in sorted(cases.items())
        if case["behavior"] not in ("OK", "INFORMATIONAL")
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="*", help="comma-separated, e.g. 1.*,9.*")
    parser.add_argument("--out", type=Path, default=Path(".conformance/run"))
    parser.add_argument("--timeout", type=float, default=7200, help="seconds at most")
    args = parser.parse_args(argv)
    if not WSTEST.exists():
        subprocess.run([str(SETUP)], check=True)
    out: Path = args.out
    reports = out / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    servers = Servers.start(out / "server.log", 4, None, flags=FLAGS)
    try:
        spec_file = out / "fuzzingclient.json"
        cases = args.cases.split(",")
        spec_file.write_text(json.dumps(spec(servers, cases, reports.resolve())))
        with (out / "wstest.log").open("w") as log:
            subprocess.run(
                [str(WSTEST.resolve()), "-m", "fuzzingclient", "-s", spec_file.name],
                cwd=out,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=args.timeout,
            )
    finally:
        servers.stop()
    index = json.loads((reports / "index.json").read_text())
    print(table(index))
    for line in not_ok(index):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
