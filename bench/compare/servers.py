"""The servers `twistbridge compare` starts, pins to their own cores, and stops.

One `twistbridge serve` child (the Site with /native, /wsgi, /asgi, /klein, which starts
uvicorn). Stopped by PID only: SIGTERM, then SIGKILL after a grace period; uvicorn,
the grandchild, is stopped by the Site, and by us by PID if it outlived it.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.compare.probe import get_status
from core.mounts import TARGETS as MOUNTS_AND_UVICORN
from twisted_host.run.process import READY, die_with_parent

# Every mount of the Site, and uvicorn: the registry's list.
TARGETS = MOUNTS_AND_UVICORN


class ServerFailed(RuntimeError):
    """The servers did not start; str() says why, with the end of their log."""


def split_cpus() -> tuple[set[int], set[int]]:
    """(server cores, load cores): halves of the cores we may use; both all of them
    on a single-core machine, where there is nothing to separate."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)
    half = len(cpus) // 2
    return set(cpus[:half]), set(cpus[half:])


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process: tells a PID's reuse from the original."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


@dataclass
class Servers:
    process: subprocess.Popen[bytes]
    site_url: str
    uvicorn_url: str | None
    log: Path
    cpus: set[int] | None
    uvicorn_pid: int | None = None
    uvicorn_started: str | None = None

    def base(self, target: str) -> str:
        """Where a target's paths start: http://127.0.0.1:P/native, ..."""
        if target == "uvicorn":
            if self.uvicorn_url is None:
                raise ServerFailed("uvicorn is not running")
            return f"{self.uvicorn_url}/asgi"
        return f"{self.site_url}/{target}"

    @classmethod
    def start(
        cls,
        log: Path,
        wsgi_threads: int,
        cpus: set[int] | None,
        busy_max: float = 60.0,
        timeout: float = 30.0,
        flags: tuple[str, ...] = (),
    ) -> Servers:
        """Start the servers; `flags` go to `serve` as they are (`--ws-max-size`...)."""
        argv = [sys.executable, "-m", "twisted_host", "serve", "--port", "0"]
        argv += ["--uvicorn-port", "auto", "--no-access-log"]
        argv += ["--wsgi-threads", str(wsgi_threads), "--busy-max", f"{busy_max:g}"]
        argv += flags
        taskset = shutil.which("taskset")
        if cpus and taskset:
            # taskset execs the server: same PID, and uvicorn inherits the cores.
            argv = [taskset, "-c", ",".join(map(str, sorted(cpus))), *argv]
        else:
            cpus = None
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as sink:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=sink,
                # Its own session: Ctrl-C in the terminal reaches us only, and we stop
                # the servers in order after writing what was measured.
                start_new_session=True,
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
        servers = None
        try:
            assert process.stdout is not None
            match = _wait_ready(process.stdout, timeout)
            if match is None:
                raise ServerFailed(_failure(process, log))
            servers = cls(process, match.group(1), match.group(2), log, cpus)
            threading.Thread(
                target=_drain, args=(process.stdout, log), daemon=True
            ).start()
            if servers.uvicorn_url:
                servers._wait_uvicorn(timeout)
            return servers
        except BaseException:
            if servers is not None:
                servers.stop()
            else:
                _stop(process)
            raise

    def _wait_uvicorn(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = self.base("uvicorn") + "/hello"
        while get_status(url, 2.0) != 200:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise ServerFailed(_failure(self.process, self.log))
            time.sleep(0.05)
        children = _children(self.process.pid)
        if children:
            self.uvicorn_pid = children[0]
            self.uvicorn_started = _start_time(children[0])

    @property
    def pids(self) -> list[int]:
        return [self.process.pid] + ([self.uvicorn_pid] if self.uvicorn_pid else [])

    def stop(self) -> None:
        _stop(self.process)
        pid = self.uvicorn_pid
        # Only the very process we saw start: a reused PID has another start time.
        if pid is not None and _start_time(pid) == self.uvicorn_started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _start_time(pid) == self.uvicorn_started:
                if time.monotonic() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    break
                time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        with contextlib.suppress(OSError):
            process.stdout.close()


def _wait_ready(stream: IO[bytes], timeout: float) -> re.Match[str] | None:
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                continue
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                return None
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                match = READY.search(line.decode(errors="replace").strip())
                if match:
                    return match
    return None


def _drain(stream: IO[bytes], log: Path) -> None:
    # Whatever the server prints later goes to its log, and never fills the pipe.
    with contextlib.suppress(OSError, ValueError), log.open("ab") as sink:
        while chunk := os.read(stream.fileno(), 4096):
            sink.write(chunk)


def _failure(process: subprocess.Popen[bytes], log: Path) -> str:
    status = process.poll()
    state = "exited with status {status}" if status is not None else "did not get ready"
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    return f"twistbridge serve {state.format(status=status)}; its log ends:\n{tail}"
