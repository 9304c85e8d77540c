"""`twistbridge compare` end to end with the seconds-long test profile: the servers
start and stop, and JSON, CSV, charts and HTML hold every target and scenario.
The figures themselves are not checked: no timing assertions."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.compare.scenarios import PROFILES, SCENARIOS, points
from bench.compare.servers import TARGETS

pytestmark = pytest.mark.long

COMPARE = [sys.executable, "-m", "twisted_host", "compare", "--profile", "test"]
ENV = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="120")


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("compare")
    done = subprocess.run(
        [*COMPARE, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return output


def _json(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "results.json").read_text())
    return data


def test_json_has_every_target_and_point(report: Path) -> None:
    data = _json(report)
    assert not data["interrupted"] and data["failure"] is None
    assert set(data["meta"]) >= {"versions", "machine", "settings", "profile"}
    expected = {
        (p.scenario, p.path, p.concurrency, target)
        for p in points(PROFILES["test"], SCENARIOS)
        for target in TARGETS
    }
    found = {
        (p["scenario"], p["path"], p["concurrency"], p["target"])
        for p in data["points"]
    }
    assert found == expected
    for point in data["points"]:
        assert len(point["raw"]["windows"]) == PROFILES["test"].repeats
        assert point["ratio_to_fastest"] is None or 0 <= point["ratio_to_fastest"] <= 1
    lessons = {(x["target"], x["mode"]) for x in data["lessons"]}
    assert lessons == {(t, m) for t in TARGETS for m in ("busy/blocking", "busy")}


def test_csv_has_a_row_per_window(report: Path) -> None:
    with (report / "results.csv").open() as source:
        rows = list(csv.DictReader(source))
    data = _json(report)
    windows = sum(len(p["raw"]["windows"]) for p in data["points"])
    lesson_runs = sum(len(x["runs"]) for x in data["lessons"])
    assert len(rows) == windows + lesson_runs
    assert {row["target"] for row in rows} == set(TARGETS)
    assert {"throughput_rps", "p99_ms", "p99.9_ms", "error_kinds"} <= set(rows[0])


def test_html_report_and_charts(report: Path) -> None:
    html = (report / "report.html").read_text()
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert html.count("<svg") == 4  # inline: the report needs no other file
    for target in TARGETS:
        assert target in html
    for name in ("throughput", "latency", "slow", "lesson"):
        assert (report / "charts" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in (report / "charts" / f"{name}.svg").read_bytes()


def test_servers_are_stopped(report: Path) -> None:
    pids = _json(report)["meta"]["server_pids"]
    assert pids
    assert all(_gone(pid) for pid in pids)


def test_ctrl_c_writes_partial_results_and_stops_the_servers(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*COMPARE, "--output", str(tmp_path), "--scenario", "throughput"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        # Ctrl-C as a terminal sends it: a suite started in the background of a shell
        # inherits SIGINT ignored, and so would compare (it then ran to the end).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:  # the first measured point
            if "req/s" in line:
                break
        process.send_signal(signal.SIGINT)
        output = process.stdout.read()
        assert process.wait(timeout=60) == 130, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    data = _json(tmp_path)
    assert data["interrupted"] is True
    assert (tmp_path / "report.html").exists()
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in data["meta"]["server_pids"]):
        assert time.monotonic() < deadline, "a server outlived compare"
        time.sleep(0.1)


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "nope"],
        ["--scenario", "everything"],
        ["--repeats", "0"],
        ["--bogus"],
    ],
)
def test_invalid_flags_give_a_usage_error(args: list[str]) -> None:
    done = subprocess.run(
        [*COMPARE, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=ENV,
        check=False,
    )
    assert done.returncode == 2
    assert "Error:" in done.stderr


def test_a_deployment_already_running(tmp_path: Path) -> None:
    # `--target URL`: the matrix against servers this command did not start.
    from tests.servers import run_server

    output = tmp_path / "external"
    only = ["--target", "asgi", "--scenario", "throughput", "--output", str(output)]
    with run_server("--no-access-log", "--uvicorn-port", "0", tmp_path=tmp_path) as s:
        done = subprocess.run(
            [*COMPARE, "--target", s.url + "/", *only],
            capture_output=True,
            text=True,
            timeout=120,
            env=ENV,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert s.process.poll() is None  # still running: not ours to stop
    data = _json(output)
    assert data["meta"]["settings"]["external"] == s.url + "/"
    assert not data["meta"].get("server_pids")
    assert {p["target"] for p in data["points"]} == {"asgi"}
    assert all(p["raw"]["windows"] for p in data["points"])
    assert "the deployment at" in (output / "report.html").read_text()


def test_uvicorn_is_not_behind_a_url() -> None:
    done = subprocess.run(
        [*COMPARE, "--target", "http://127.0.0.1:9/", "--target", "uvicorn"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        check=False,
    )
    assert done.returncode == 2 and "uvicorn is not served" in done.stderr
