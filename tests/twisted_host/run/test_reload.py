"""`serve --reload`: an edit under a running server reloads the app (with one worker
or several), a syntax error leaves the old code serving and says where, and the fix
after it is picked up; no request is refused meanwhile."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.client import fetch, keep_fetching
from tests.servers import TWISTBRIDGE, Server, run_server, terminate
from twisted_host.run.process import READY

pytestmark = pytest.mark.long

APP = """\
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"{answer}"}})
"""


def _until(server: Server, expected: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fetch(server.url + "/").text == expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"never {expected!r}:\n{server.output()}")


def _said(server: Server, what: str, times: int, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while server.output().count(what) < times:
        assert time.monotonic() < deadline, server.output()
        time.sleep(0.2)


@pytest.mark.parametrize("workers", ["1", "2"], ids=["one-worker", "two-workers"])
def test_an_edit_reloads_the_app(tmp_path: Path, workers: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    source = project / "myapp.py"
    source.write_text(APP.format(answer="one"))
    args = ["--no-demo", "--asgi", "/=myapp:app", "--app-dir", str(project)]
    args += ["--reload", "--reload-dir", str(project), "--workers", workers]
    with run_server(*args, "--no-access-log", tmp_path=tmp_path) as server:
        assert fetch(server.url + "/").text == "one"
        with keep_fetching(server.url + "/", threads=2) as tally:
            source.write_text(APP.format(answer="two"))
            _until(server, "two")
            _said(server, "reloaded:", 1)  # every worker replaced
        assert tally.failures == [] and set(tally.statuses) == {200}, tally
        assert "myapp.py changed: reloading" in server.output()
        # A syntax error: the old code serves on; the error says where.
        source.write_text("def app(:\n")
        deadline = time.monotonic() + 40
        while "reload stopped" not in server.output():
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        assert f"{source}:1: invalid syntax" in server.output()
        assert fetch(server.url + "/").text == "two"
        source.write_text(APP.format(answer="three"))
        _said(server, "reloaded:", 2)
        _until(server, "three")
        # Files that are not watched change nothing.
        (project / "notes.txt").write_text("x")
        (project / ".hidden.py").write_text("x")
        time.sleep(2.5)
        assert server.output().count("changed: reloading") == 3


def test_a_broken_app_at_start_waits_for_a_fix(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    source = project / "myapp.py"
    source.write_text("def app(:\n")
    argv = [*TWISTBRIDGE, "serve", "--port", "0", "--uvicorn-port", "0", "--no-demo"]
    argv += ["--asgi", "/=myapp:app", "--app-dir", str(project), "--reload"]
    argv += ["--reload-dir", str(project), "--reload-include", "*.txt"]
    log = tmp_path / "stderr.log"
    with log.open("w") as sink:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=sink, text=True)
    try:
        deadline = time.monotonic() + 40
        while "waiting for a change" not in log.read_text():
            assert process.poll() is None, log.read_text()  # the watcher stays
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert f"{source}:1: invalid syntax" in log.read_text()
        (project / "notes.txt").write_text("x")  # --reload-include: watched too
        deadline = time.monotonic() + 40
        while log.read_text().count("waiting for a change") < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        source.write_text(APP.format(answer="fixed"))
        assert process.stdout is not None
        match = None
        while match is None:
            line = process.stdout.readline()
            assert line, log.read_text()
            match = READY.search(line.strip())
        assert fetch(match.group(1) + "/").text == "fixed"
    finally:
        terminate(process)
        if process.stdout is not None:
            process.stdout.close()
