"""`serve --config FILE` and `[tool.twistbridge]` of ./pyproject.toml: read, overridden
by flags, an unknown key a one-line error; `twistd twistbridge` reads the same."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.client import fetch
from tests.servers import TWISTBRIDGE, run_server, serve_error, spawn

pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """\
demo = false
asgi = ["/=tests.apps.echo:asgi"]
wsgi = ["/legacy=tests.apps.echo:wsgi"]
uvicorn-port = 0
access-log = false
"""


def test_config_file_is_read(tmp_path: Path) -> None:
    config = tmp_path / "twistbridge.toml"
    config.write_text(CONFIG)
    with run_server("--config", str(config), tmp_path=tmp_path) as server:
        assert json.loads(fetch(server.url + "/x").body)["mount"] == ""
        assert json.loads(fetch(server.url + "/legacy/x").body)["mount"] == "/legacy"
        # demo = false: /native is the root app's, and no dashboard at /stats.
        assert json.loads(fetch(server.url + "/native/hello").body)["mount"] == ""
        assert json.loads(fetch(server.url + "/stats").body)["path"] == "/stats"


def test_flags_override_the_file(tmp_path: Path) -> None:
    config = tmp_path / "twistbridge.toml"
    config.write_text(CONFIG)
    # A flag given replaces the file's value (a repeatable one: the whole list).
    args = ["--config", str(config), "--wsgi", "/other=tests.apps.echo:wsgi"]
    with run_server(*args, tmp_path=tmp_path) as server:
        assert json.loads(fetch(server.url + "/other/x").body)["mount"] == "/other"
        assert json.loads(fetch(server.url + "/legacy/x").body)["mount"] == ""


def test_pyproject_of_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mine"\n\n[tool.twistbridge]\n' + CONFIG
    )
    argv = [*TWISTBRIDGE, "serve", "--port", "0", "--no-demo"]
    env = {"PYTHONPATH": str(ROOT)}
    with spawn(argv, tmp_path=tmp_path, cwd=tmp_path, env=env) as server:
        assert json.loads(fetch(server.url + "/x").body)["mount"] == ""


def test_twistd_reads_the_same(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.twistbridge]\n" + CONFIG)
    twistd = Path(sys.executable).parent / "twistd"
    argv = [str(twistd), "-n", "--pidfile", "twistd.pid", "twistbridge", "--port", "0"]
    env = {"PYTHONPATH": str(ROOT)}
    with spawn(argv, tmp_path=tmp_path, cwd=tmp_path, env=env) as server:
        assert json.loads(fetch(server.url + "/x").body)["mount"] == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("porrt = 1\n", "unknown key 'porrt'"),
        ("config = 'x.toml'\n", "unknown key 'config'"),
        ("port = [\n", "--config"),
        ("workers = 'many'\n", "'many' is not a valid integer range"),
    ],
    ids=["misspelt", "config-in-config", "not-toml", "bad-value"],
)
def test_a_bad_file_is_a_one_line_error(
    tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "twistbridge.toml"
    config.write_text(text)
    assert message in serve_error("--config", str(config))
