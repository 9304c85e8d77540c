"""Logging as uvicorn's users configure it: `--log-config` (JSON, YAML, INI) gets
Twisted's events and the apps' failures, each once with its request line;
`--log-level`; and the access log as JSON lines."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.client import fetch
from tests.servers import run_server

pytestmark = pytest.mark.long

ECHO = "tests.apps.echo"
APPS = ["--no-demo", "--wsgi", f"/w={ECHO}:wsgi_raises"]
APPS += ["--resource", f"/r={ECHO}:raises", "--asgi", f"/={ECHO}:asgi"]


def _wait_for_lines(path: Path, count: int) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.1)  # the access log is written once a second
    raise AssertionError(f"{path}: fewer than {count} lines")


def test_json_access_log(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    args = [*APPS, "--access-log-format", "json", "--access-log-file", str(log)]
    with run_server(*args, tmp_path=tmp_path) as server:
        fetch(
            server.url + "/x?q=1",
            headers={"X-Request-ID": "req-42", "User-Agent": "t/1"},
        )
        fetch(server.url + "/w/boom")
        fetch(server.url + "/r", headers={"X-Request-ID": "bad id with spaces"})
        lines = _wait_for_lines(log, 3)
    first, second, third = (json.loads(line) for line in lines)
    assert {k: first[k] for k in ("method", "path", "protocol", "status", "client")} == {
        "method": "GET", "path": "/x?q=1", "protocol": "HTTP/1.1", "status": 200,
        "client": "127.0.0.1",
    }  # fmt: skip
    assert (first["mount"], first["request_id"], first["user_agent"]) == (
        "/",
        "req-42",
        "t/1",
    )
    assert first["bytes"] > 0 and 0 <= first["duration_ms"] < 5000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["time"])
    assert (second["mount"], second["status"]) == ("/w", 500)
    assert (third["mount"], third["status"]) == ("/r", 500)
    assert re.fullmatch(r"[0-9a-f]{16}", third["request_id"])  # a fresh one


CONFIGS = {
    "json": json.dumps({
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s|%(name)s|%(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": "{log}", "formatter": "plain"}},
        "root": {"handlers": ["file"], "level": "INFO"},
    }),
    "yaml": """\
version: 1
disable_existing_loggers: false
formatters: {plain: {format: "%(levelname)s|%(name)s|%(message)s"}}
handlers: {file: {class: logging.FileHandler, filename: "{log}", formatter: plain}}
root: {handlers: [file], level: INFO}
""",
    "ini": """\
[loggers]
keys=root
[handlers]
keys=file
[formatters]
keys=plain
[logger_root]
level=INFO
handlers=file
[handler_file]
class=FileHandler
args=('{log}',)
formatter=plain
[formatter_plain]
format=%(levelname)s|%(name)s|%(message)s
""",
}  # fmt: skip


@pytest.mark.parametrize("kind", list(CONFIGS))
def test_log_config_gets_each_failure_once(tmp_path: Path, kind: str) -> None:
    log = tmp_path / "app.log"
    config = tmp_path / f"logging.{kind}"
    config.write_text(CONFIGS[kind].replace("{log}", str(log)))
    args = [*APPS, "--no-access-log", "--log-config", str(config)]
    with run_server(*args, tmp_path=tmp_path) as server:
        assert fetch(server.url + "/w/boom?x=1").status == 500
        assert fetch(server.url + "/r").status == 500
        time.sleep(0.3)
        text = log.read_text()
    errors = [
        line
        for line in text.splitlines()
        if "|" in line and line.split("|")[0] in ("ERROR", "CRITICAL")
    ]
    wsgi = [e for e in errors if "GET /w/boom?x=1 HTTP/1.1" in e]
    native = [e for e in errors if "GET /r HTTP/1.1" in e]
    assert len(wsgi) == 1 and "WSGI app raised while serving" in wsgi[0], text
    assert len(native) == 1, text
    assert text.count("RuntimeError: boom from WSGI") == 1, text
    assert text.count("RuntimeError: boom from a resource") == 1, text


def test_log_level(tmp_path: Path) -> None:
    # Twisted's events at their levels: its factories' starts are INFO (hidden at
    # the default level as noise, shown with debug), an app's failure CRITICAL.
    outputs = {}
    for level in ("warning", "info", "debug"):
        with run_server(*APPS, "--log-level", level, tmp_path=tmp_path) as server:
            assert fetch(server.url + "/w/boom").status == 500
            time.sleep(0.3)
            outputs[level] = server.output()
    for output in outputs.values():
        assert output.count("RuntimeError: boom from WSGI") == 1, output
        line = "twisted_host.bridges.wsgi_response.StreamingResponse: WSGI app raised while serving GET /w/boom HTTP/1.1"
        assert line in output, output
    assert "Starting factory" in outputs["debug"]
    assert "Starting factory" not in outputs["info"] + outputs["warning"]
