"""`twistbridge docs`: write the generated pages of docs/ (the migration guide, the
command-line reference, the benchmarks page), or check that the committed ones are
current (a test runs the check; so can CI, or anyone after changing a flag)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option(
    "--dir",
    "folder",
    default="docs",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The docs folder the pages go to (relative paths: from the current folder).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; say which page is missing or differs from the code, and exit 1 if any does.",
)
def docs(folder: Path, check: bool) -> None:
    """Generate the pages of docs/ that come from the code: MIGRATION.md (the migration
    guide), CLI.md (the command-line reference) and BENCHMARKS.md (from
    bench/results/)."""
    if check and not folder.is_dir():
        # Said before the pages are rendered (which imports every mount): outside a
        # checkout this is the usual answer, and it should come at once.
        where = "" if folder.is_absolute() else f" (looked in {Path.cwd()})"
        click.echo(
            f"{folder}/ is missing{where}: run `twistbridge docs "
            "--check` from the top folder of a twistbridge checkout, or give --dir; "
            "`twistbridge docs` writes the pages",
            err=True,
        )
        sys.exit(1)
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()  # importing the mounts imports twisted's reactor
    from twisted_host.docs import pages

    # The CLI this command was run from: the reference describes what was installed.
    group = click.get_current_context().find_root().command
    assert isinstance(group, click.Group)
    if check:
        problems = pages.problems(folder, group)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            sys.exit(1)
        click.echo(f"{folder}/: every generated page is up to date")
        return
    for path in pages.write(folder, group):
        click.echo(f"wrote {path}")
