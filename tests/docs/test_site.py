"""The documentation site: `mkdocs build --strict` passes (a warning, such as a link to
a page or anchor that is not there, fails it), and every internal link of the built
HTML resolves to a file, and to an element with that id when it names one. The README
is a front page that links into the site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file"]


class _Page(HTMLParser):
    """The ids of a page and the internal URLs it points at."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        for name in ("href", "src"):
            url = found.get(name)
            if url and not urlsplit(url).scheme and not url.startswith("//"):
                self.links.append(url)


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MKDOCS, str(config), "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    done = build(ROOT / "mkdocs.yml", out)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    return out


def _pages(site: Path) -> Iterator[tuple[Path, _Page]]:
    for path in sorted(site.rglob("*.html")):
        page = _Page()
        page.feed(path.read_text(encoding="utf-8"))
        yield path, page


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    pages = dict(_pages(site))
    broken = []
    for path, page in pages.items():
        for url in page.links:
            parts = urlsplit(url)
            # 404.html is served at any path, so it links from the site's root.
            base = site if parts.path.startswith("/") else path.parent
            target = (base / unquote(parts.path).lstrip("/")) if parts.path else path
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path.relative_to(site)}: {url} (no such file)")
            elif parts.fragment and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{path.relative_to(site)}: {url} (no such anchor)")
    assert not broken, "\n".join(broken)
    assert sum(len(page.links) for page in pages.values()) > 1000  # it looked


def test_every_page_of_the_nav_is_built(site: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = re.findall(r"^\s+- [^:#]+: (\S+\.md)$", config, flags=re.M)
    assert len(listed) >= 20
    for page in listed:
        assert (site / page.replace(".md", ".html")).is_file(), page
    # Search covers the generated pages too: a flag is found by its name.
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "--max-body-size" in index and "twistbridge serve" in index


def test_a_page_missing_from_the_nav_fails_the_build(tmp_path: Path) -> None:
    """Every page has its place in the nav: one left out fails the strict build,
    named."""
    docs = tmp_path / "docs"
    subprocess.run(["cp", "-r", str(ROOT / "docs"), str(docs)], check=True)
    (docs / "NEW.md").write_text("# New\n\nSee [the home page](index.md).\n")
    config = tmp_path / "mkdocs.yml"
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config.write_text(text.replace("docs_dir: docs", f"docs_dir: {docs}"))
    done = build(config, tmp_path / "site")
    assert done.returncode != 0
    assert "NEW.md" in done.stderr  # named, as not in the nav


def test_readme_is_a_front_page_linking_into_the_site() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 150
    assert "make serve" in readme and "make test" in readme
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert any(link.startswith("docs/images/") for link in links)  # a picture
    into_site = [link for link in links if re.match(r"docs/[\w-]+\.md", link)]
    assert len(into_site) >= 10
    for link in links:
        if not urlsplit(link).scheme:
            assert (ROOT / urlsplit(link).path).is_file(), link


def test_no_list_runs_into_a_paragraph() -> None:
    """Python-Markdown, unlike GitHub, starts a list only after a blank line: without
    one, "- item" lines are read as the paragraph's own text, on one line."""
    found = []
    for source in sorted((ROOT / "docs").glob("*.md")):
        previous, fenced = "", False
        for number, line in enumerate(
            source.read_text(encoding="utf-8").split("\n"), 1
        ):
            fenced ^= line.startswith("```")
            item = re.match(r"(- |\d+\. )", line)
            in_text = not re.match(r"(\s|- |\d+\. |$)", previous)
            if not fenced and item and in_text:
                found.append(f"{source.name}:{number}: {line[:50]}")
            previous = line
    assert not found, "a blank line is needed before:\n" + "\n".join(found)
