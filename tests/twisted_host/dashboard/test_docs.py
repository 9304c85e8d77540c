"""`twistbridge docs`: docs/MIGRATION.md is generated, deterministic, and never stale.

The command runs in a child process, as a person runs it: importing the mounts here
would install a reactor in the test process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from core.contract import FEATURES

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "docs" / "MIGRATION.md"
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


def test_committed_guide_is_current() -> None:
    done = twistbridge_docs("--check", "--output", str(COMMITTED))
    assert done.returncode == 0, (
        f"{COMMITTED} is stale: run `twistbridge docs` and commit it\n{done.stderr}"
    )
    assert done.stdout == f"{COMMITTED} is up to date\n"


def test_generated_twice_the_same(tmp_path: Path) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    assert twistbridge_docs("--output", str(first), seed="1").returncode == 0
    assert twistbridge_docs("--output", str(second), seed="2").returncode == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == COMMITTED.read_bytes()


def test_default_output_is_docs_migration(tmp_path: Path) -> None:
    done = twistbridge_docs(cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "wrote docs/MIGRATION.md\n")
    assert (tmp_path / "docs" / "MIGRATION.md").read_bytes() == COMMITTED.read_bytes()


def test_check_fails_on_a_stale_or_missing_file(tmp_path: Path) -> None:
    stale = tmp_path / "MIGRATION.md"
    stale.write_text(COMMITTED.read_text() + "an edit by hand\n")
    done = twistbridge_docs("--check", "--output", str(stale))
    assert done.returncode == 1
    assert done.stderr == f"{stale} is stale: run `twistbridge docs`\n"
    assert stale.read_text().endswith("an edit by hand\n")  # --check writes nothing
    missing = tmp_path / "none.md"
    assert twistbridge_docs("--check", "--output", str(missing)).returncode == 1
    assert not missing.exists()


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
