"""SIGUSR1 after logrotate has moved the log files away (its `postrotate`): the
access log and an app's own logging file handler open again at their paths, in the
single process and in every worker (the supervisor passes the signal on), and under
twistd; what was written before stays in the moved files, nothing is lost, and the
server serves on."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests.client import fetch
from tests.servers import PROCESS_MODELS, TWISTBRIDGE, spawn, wait_until


@pytest.mark.parametrize("model", PROCESS_MODELS)
def test_sigusr1_reopens_the_log_files_at_their_paths(
    tmp_path: Path, model: str
) -> None:
    access, app_log = tmp_path / "access.log", tmp_path / "app.log"
    argv = [*TWISTBRIDGE, "serve", "--port", "0", "--uvicorn-port", "0"]
    argv += ["--access-log-file", str(access), *PROCESS_MODELS[model]]
    argv += ["--wsgi", "/logged=tests.apps.logging_app:app"]
    env = {"TWISTBRIDGE_TEST_APP_LOG": str(app_log)}  # the app's FileHandler's
    with spawn(argv, tmp_path=tmp_path, env=env) as server:
        for _ in range(6):  # new connections: under --workers, both workers answer
            assert fetch(server.url + "/logged/before").status == 200
        wait_until(lambda: access.read_text().count("/logged/before") == 6)
        access.rename(tmp_path / "access.log.1")
        app_log.rename(tmp_path / "app.log.1")
        os.kill(server.process.pid, signal.SIGUSR1)
        # One line per process that reopened (a worker's own as well).
        processes = 1 if model == "single" else 2
        wait_until(lambda: server.output().count("log files reopened (") == processes)
        for _ in range(6):
            assert fetch(server.url + "/logged/after").status == 200
        wait_until(
            lambda: access.exists() and access.read_text().count("/logged/after") == 6
        )
        wait_until(
            lambda: app_log.exists() and app_log.read_text().count("/logged/after") == 6
        )
        assert server.process.poll() is None
    assert (tmp_path / "access.log.1").read_text().count("/logged/before") == 6
    assert "/logged/after" not in (tmp_path / "access.log.1").read_text()
    assert (tmp_path / "app.log.1").read_text().count("served /logged/before") == 6
    assert app_log.read_text().count("served /logged/after") == 6
    assert "/logged/before" not in app_log.read_text()
    assert "Traceback" not in server.output()


def test_sigusr1_reopens_the_access_log_under_twistd(tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    twistd = Path(sys.executable).parent / "twistd"
    argv = [str(twistd), "-n", "--pidfile", "twistd.pid", "twistbridge", "--port", "0"]
    argv += ["--uvicorn-port", "0", "--access-log-file", str(access)]
    with spawn(argv, tmp_path=tmp_path, cwd=tmp_path) as server:
        assert fetch(server.base("native") + "/hello").status == 200
        wait_until(lambda: "/native/hello" in access.read_text())
        access.rename(tmp_path / "access.log.1")
        os.kill(server.process.pid, signal.SIGUSR1)
        # twistd logs standard error to its own log: no line here says when the
        # reopen has happened, so requests go on until a line lands at the path.

        def logged_anew() -> bool:
            assert fetch(server.base("native") + "/about").status == 200
            return access.exists() and "/native/about" in access.read_text()

        wait_until(logged_anew)
        assert server.process.poll() is None
    assert "/native/hello" in (tmp_path / "access.log.1").read_text()
