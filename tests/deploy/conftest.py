"""nginx as the balancer in front of twistbridge servers: `deploy/nginx.conf` itself,
rendered into a temporary folder with the test's ports and paths, run as a child of
the test (pid and logs in that folder), stopped by its PID."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.client import fetch
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx.conf"
_UPSTREAM = re.compile(r"^(\s*)server \d+\.\d+\.\d+\.\d+:\d+ (.*);\n", re.MULTILINE)


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).is_file():
        pytest.skip("nginx is not installed (Debian's nginx; scripts/system-deps.sh)")
    return found


def render(folder: Path, port: int, backends: list[str]) -> Path:
    """deploy/nginx.conf with our listen port, backends and paths; one nginx worker,
    so that round robin is exact."""
    text = CONF.read_text()
    text = re.sub(r"/var/[^;\s]+", lambda m: str(folder / Path(m.group()).name), text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("worker_processes auto;", "worker_processes 1;")
    first = _UPSTREAM.search(text)
    assert first is not None, "deploy/nginx.conf has no upstream server line"
    lines = "".join(f"{first[1]}server {b} {first[2]};\n" for b in backends)
    text = (
        _UPSTREAM.sub("", text[: first.start()])
        + lines
        + _UPSTREAM.sub("", text[first.start() :])
    )
    conf = folder / "nginx.conf"
    conf.write_text(text)
    return conf


@contextmanager
def nginx(tmp_path: Path, backends: list[str]) -> Iterator[str]:
    """nginx in front of `backends` (host:port); its URL."""
    binary = nginx_binary()
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    conf = render(folder, port, backends)
    # -e: the log of nginx's own start, before it reads the config (by default a
    # root-owned file under /var/log).
    argv = [binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "start.log")]
    argv += ["-g", "daemon off;"]
    log = (folder / "stderr.log").open("w")
    process = subprocess.Popen(argv, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, (folder / "stderr.log").read_text()
            try:
                fetch(url + "/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)  # nginx's fast shutdown, by its PID
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
