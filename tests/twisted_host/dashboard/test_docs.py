"""`twistbridge docs`: the generated pages of docs/ (MIGRATION.md, CLI.md,
BENCHMARKS.md) are deterministic and never stale, and `--check` says which page is
missing or stale, or that there is no docs folder at all.

The command runs in a child process, as a person runs it: importing the mounts here
would install a reactor in the test process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.contract import FEATURES

pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"
COMMITTED = DOCS / "MIGRATION.md"
GENERATED = ("BENCHMARKS.md", "CLI.md", "MIGRATION.md")
LABELS = ("twisted.web", "Flask (WSGI)", "Starlette (ASGI)")


def twistbridge_docs(
    *args: str, cwd: Path = ROOT, seed: str = "0"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twisted_host", "docs", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONHASHSEED=seed),
    )


def test_committed_pages_are_current() -> None:
    done = twistbridge_docs("--check", "--dir", str(DOCS))
    assert done.returncode == 0, (
        f"{DOCS} is stale: run `twistbridge docs` and commit it\n{done.stderr}"
    )
    assert done.stdout == f"{DOCS}/: every generated page is up to date\n"


def test_generated_twice_the_same(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert twistbridge_docs("--dir", str(first), seed="1").returncode == 0
    assert twistbridge_docs("--dir", str(second), seed="2").returncode == 0
    for name in GENERATED:
        assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / name).read_bytes() == (DOCS / name).read_bytes()


def test_default_folder_is_docs(tmp_path: Path) -> None:
    done = twistbridge_docs(cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout == "".join(f"wrote docs/{name}\n" for name in GENERATED)
    assert (tmp_path / "docs" / "CLI.md").read_bytes() == (DOCS / "CLI.md").read_bytes()


def test_check_names_what_is_stale_or_missing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in GENERATED:
        shutil.copy2(DOCS / name, docs / name)
    stale = docs / "MIGRATION.md"
    stale.write_text(COMMITTED.read_text() + "an edit by hand\n")
    (docs / "CLI.md").unlink()
    done = twistbridge_docs("--check", "--dir", str(docs))
    assert done.returncode == 1
    assert done.stderr == (
        f"{docs}/CLI.md is missing: run `twistbridge docs` to write it\n"
        f"{stale} is stale: run `twistbridge docs`\n"
    )
    assert stale.read_text().endswith("an edit by hand\n")  # --check writes nothing
    assert not (docs / "CLI.md").exists()


def test_check_outside_a_checkout_says_the_folder_is_missing(tmp_path: Path) -> None:
    done = twistbridge_docs("--check", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == (
        f"docs/ is missing (looked in {tmp_path}): run `twistbridge docs --check` from "
        "the top folder of a twistbridge checkout, or give --dir; `twistbridge docs` "
        "writes the pages\n"
    )
    assert not (tmp_path / "docs").exists()
    done = twistbridge_docs("--check", "--dir", str(tmp_path / "none"), cwd=tmp_path)
    assert done.stderr.startswith(f"{tmp_path}/none/ is missing: run")


def test_guide_has_every_feature_three_ways() -> None:
    guide = COMMITTED.read_text()
    assert guide.startswith("# Migrating the chapter's web examples")
    assert "## Cheat sheet" in guide
    assert not re.search(r"20\d\d-\d\d-\d\d", guide)  # no dates: nothing goes stale
    sections = re.split(r"^## ", guide, flags=re.M)
    by_name = {section.split("\n", 1)[0]: section for section in sections}
    for feature in FEATURES:
        section = by_name[feature.name]
        assert "What changes:" in section
        for label in LABELS:
            part = section.split(f"### {feature.name}: {label}\n", 1)[1]
            part = part.split("\n### ", 1)[0]
            code = re.findall(r"^```python\n(.+?)^```$", part, flags=re.M | re.S)
            assert code and all(block.strip() for block in code), (feature, label)


def test_guide_tells_how_to_move_an_app() -> None:
    guide = COMMITTED.read_text()
    section = guide.split(
        "\n## Moving an existing Flask, Django or FastAPI app under Twisted\n"
    )[1]
    section = section.split("\n## ", 1)[0]
    for heading in ("The command", "The prefix", "What to check", "From Python"):
        assert f"\n### {heading}\n" in section
    assert "`twistbridge serve --no-demo --asgi /api=main:app`" in section
