"""The two commands on any Python 3.11 or newer: the Makefile builds .venv with the
first of python3.13, python3.12, python3.11 and python3 that runs and is new enough,
and when none is, stops naming each one it found and what it is."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
# A pyenv shim for a version pyenv knows but has not activated: on PATH, yet it fails.
SHIM = '#!/bin/sh\necho "pyenv: ${0##*/}: command not found" >&2\nexit 127\n'
# An interpreter too old for twistbridge, as it answers find-python.sh's question.
OLD = "#!/bin/sh\necho 3.9.2\nexit 1\n"


def _path(folder: Path, **commands: str) -> str:
    """A PATH of one folder holding these commands: a script, or "real" for this
    test's own Python (3.11 or newer) under that name."""
    folder.mkdir()
    for name, script in commands.items():
        command = folder / name.replace("_", ".")
        if script == "real":
            command.symlink_to(sys.executable)
        else:
            command.write_text(script)
            command.chmod(0o755)
    return str(folder)


def test_the_newest_python_that_runs_is_taken(tmp_path: Path) -> None:
    path = _path(tmp_path / "bin", python3_13=SHIM, python3_12="real", python3="real")
    done = subprocess.run(
        [str(ROOT / "scripts" / "find-python.sh")],
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "python3.12\n", "")


def _make(checkout: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    for name in ("Makefile", "pyproject.toml", "scripts/find-python.sh"):
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, checkout / name)
    return subprocess.run(
        [MAKE, "-C", str(checkout), *args, ".venv/.installed"],
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_names_what_it_found_when_none_is_new_enough(tmp_path: Path) -> None:
    path = _path(tmp_path / "bin", python3_13=SHIM, python3=OLD)
    done = _make(tmp_path / "checkout", path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[:3] == [
        "make: twistbridge needs Python 3.11 or newer, as one of: "
        "python3.13 python3.12 python3.11 python3.",
        "make: found python3.13 (does not run: pyenv: python3.13: command not found); "
        "python3 (Python 3.9.2).",
        "make: install Python 3.11 or newer, or name one: make PYTHON=/path/to/python3.x",
    ]
    assert not (tmp_path / "checkout" / ".venv").exists()


def test_make_checks_the_python_it_is_given(tmp_path: Path) -> None:
    path = _path(tmp_path / "bin", python3_13="real", old=OLD)
    done = _make(tmp_path / "checkout", path, f"PYTHON={tmp_path}/bin/old")
    assert done.returncode == 2
    assert f"make: found {tmp_path}/bin/old (Python 3.9.2)." in done.stderr
