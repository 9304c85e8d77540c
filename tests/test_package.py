"""The package as a user gets it: `python -m build` makes an sdist holding the whole
project and a wheel holding what runs; the wheel, installed in a clean venv with no
checkout on its path, serves the Site (`twistbridge serve`, `twistd -n twistbridge`),
and `twistbridge docs` there renders the very pages committed in docs/.

Under `make test` the wheel is the one `make dist` built (TWISTBRIDGE_DIST); alone,
the module builds its own."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from core.content import HELLO
from tests.client import fetch
from tests.servers import spawn
from twisted_host import __version__

pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("BENCHMARKS.md", "CLI.md", "MIGRATION.md")


# The clean venv is installed without bytecode (pip's --no-compile: compiling every
# module of every dependency costs more than the few the commands import). Its
# commands may write what they import, even where PYTHONDONTWRITEBYTECODE is set (an
# empty value is unset), so that only the first of them compiles Twisted.
WRITE_BYTECODE = {"PYTHONDONTWRITEBYTECODE": ""}


def run(
    argv: list[str], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **WRITE_BYTECODE),
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if made := os.environ.get("TWISTBRIDGE_DIST"):
        return (ROOT / made).resolve()
    out = tmp_path_factory.mktemp("dist")
    done = run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--outdir",
            str(out),
            str(ROOT),
        ],
        ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _one(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the wheel and its dependencies, and nothing of the checkout."""
    folder = tmp_path_factory.mktemp("clean") / "venv"
    done = run([sys.executable, "-m", "venv", "--without-pip", str(folder)], ROOT)
    assert done.returncode == 0, done.stderr
    wheel = _one(dist, f"twistbridge-{__version__}-py3-none-any.whl")
    pip = [sys.executable, "-m", "pip", "--python", str(folder / "bin" / "python")]
    done = run([*pip, "install", "--quiet", "--no-compile", str(wheel)], folder)
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the checkout, to run the installed commands in."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def test_sdist_holds_the_whole_project(dist: Path) -> None:
    sdist = _one(dist, f"twistbridge-{__version__}.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        info = tar.extractfile(f"twistbridge-{__version__}/PKG-INFO")
        assert info is not None
        metadata = Parser().parsestr(info.read().decode())
    assert metadata["Version"] == __version__
    for name in (
        "CHANGELOG.md", "Makefile", "mkdocs.yml", "README.md", "docs/index.md",
        "docs/CLI.md", "docs/images/race.png", "deploy/nginx.conf",
        "scripts/find-python.sh", "tests/test_package.py", "tests/docs/test_site.py",
        "twisted/plugins/twistbridge_plugin.py", "bench/results/speed-20261129-114746.json",
    ):  # fmt: skip
        assert name in names, name
    assert not [name for name in names if "__pycache__" in name]


def test_wheel_metadata_and_contents(dist: Path) -> None:
    wheel = _one(dist, "*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        text = archive.read(f"twistbridge-{__version__}.dist-info/METADATA").decode()
    metadata = Parser().parsestr(text)
    assert metadata["Version"] == __version__
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "Framework :: Twisted" in classifiers
    urls = dict(line.split(", ", 1) for line in metadata.get_all("Project-URL") or [])
    assert urls == {"Documentation": "docs/index.md", "Changelog": "CHANGELOG.md"}
    assert "twisted/plugins/twistbridge_plugin.py" in names
    assert "core/sample/www/page.html" in names
    assert any(name.startswith("bench/results/speed-") for name in names)
    assert not [name for name in names if name.startswith(("tests/", "docs/"))]


def test_version_is_the_one_source(venv: Path, outside: Path) -> None:
    done = run([str(venv / "bin" / "twistbridge"), "--version"], outside)
    assert (done.returncode, done.stdout) == (
        0,
        f"twistbridge, version {__version__}\n",
    )


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["twistbridge", "serve"], id="twistbridge-serve"),
        pytest.param(
            ["twistd", "-n", "--pidfile", "tb.pid", "twistbridge"], id="twistd"
        ),
    ],
)
def test_wheel_serves_from_a_clean_venv(
    venv: Path, outside: Path, argv: list[str]
) -> None:
    command = [
        str(venv / "bin" / argv[0]),
        *argv[1:],
        "--port",
        "0",
        "--uvicorn-port",
        "auto",
    ]
    with spawn(
        command, tmp_path=outside, cwd=outside, timeout=60, env=WRITE_BYTECODE
    ) as server:
        for mount in ("native", "wsgi", "asgi", "klein", "uvicorn"):
            reply = fetch(server.base(mount) + "/hello")
            assert (reply.status, reply.text) == (200, HELLO), mount
        # The sample static files and the dashboard's templates came in the wheel.
        assert fetch(server.base("native") + "/static/").status == 200
        assert fetch(server.url + "/").status == 200
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    assert "Traceback" not in server.output()


def test_docs_check_outside_a_checkout(venv: Path, outside: Path) -> None:
    docs = [str(venv / "bin" / "twistbridge"), "docs", "--check"]
    done = run(docs, outside)
    assert done.returncode == 1
    assert done.stderr.startswith(f"docs/ is missing (looked in {outside})"), (
        done.stderr
    )
    assert "stale" not in done.stderr
    # The pages the checkout commits are those the installed package renders: the
    # reference of the installed commands, the benchmark runs shipped in the wheel.
    (outside / "docs").mkdir()
    for name in GENERATED:
        shutil.copy2(ROOT / "docs" / name, outside / "docs" / name)
    done = run(docs, outside)
    assert (done.returncode, done.stdout) == (
        0,
        "docs/: every generated page is up to date\n",
    ), done.stderr
