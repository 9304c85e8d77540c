"""bench.results_page: the README's "How fast" table is the latest committed
`make bench` run's, row for row."""

from __future__ import annotations

from pathlib import Path

from bench.results_page import readme_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_the_latest_run() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme_table()
    assert table.startswith("| `make bench`, ")
    assert table in readme, (
        "README.md's 'How fast' table is not the latest run's: "
        "replace it with what `python -m bench.results_page` prints"
    )
