"""The generated pages of docs/, each a file name and a function that renders it from
the code: the migration guide, the command-line reference, and those other installed
packages add under the entry point group `twistbridge.docs` (bench's benchmarks page:
the server never imports the tools that measure it). `twistbridge docs` writes them;
`--check` says which is missing or stale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import click

from twisted_host.dashboard.docs import migration_markdown
from twisted_host.docs.cli_reference import reference

PLUGIN_GROUP = "twistbridge.docs"


@dataclass(frozen=True)
class Page:
    name: str  # the file's name in docs/
    render: Callable[[], str]


def pages(group: click.Group) -> list[Page]:
    """Every generated page, by file name; `group` is the CLI the reference describes."""
    found = [
        Page("MIGRATION.md", migration_markdown),
        Page("CLI.md", lambda: reference(group)),
    ]
    found += [Page(ep.name, ep.load()) for ep in entry_points(group=PLUGIN_GROUP)]
    return sorted(found, key=lambda page: page.name)


def problems(folder: Path, group: click.Group) -> list[str]:
    """What `--check` reports, one line each: nothing when every page is current."""
    found = []
    for page in pages(group):
        path = folder / page.name
        if not path.is_file():
            found.append(f"{path} is missing: run `twistbridge docs` to write it")
        elif path.read_text(encoding="utf-8") != page.render():
            found.append(f"{path} is stale: run `twistbridge docs`")
    return found


def write(folder: Path, group: click.Group) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for page in pages(group):
        path = folder / page.name
        # "\n" on every platform: the committed file must not depend on who made it.
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.write(page.render())
        written.append(path)
    return written
