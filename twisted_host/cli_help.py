"""`serve --help` in sections, as uvicorn's documentation groups its flags
(Application, Socket Binding, Development, Production, Logging, HTTP, HTTPS, Resource
Limits, Timeouts), with click alone: each option carries the title of its section,
and the command lists the sections in `ORDER`, then any other under "Other options".

To add flags: `@section("Logging", click.option(...), click.option(...))` on the
command (or an option left bare: it lands in "Other options").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

ORDER = (
    "Application",
    "Dashboard and admin",
    "Socket binding",
    "Development",
    "Production",
    "Logging",
    "HTTP",
    "HTTPS",
    "Resource limits",
    "Timeouts",
    "WebSockets",
    "Demo",
)
OTHER = "Other options"

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def section(title: str, *options: Decorator) -> Decorator:
    """Apply click `options` (listed as they should appear), marking each with the
    section `title` its help goes under."""

    def apply(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
            params: list[click.Parameter] = command.__click_params__  # type: ignore[attr-defined]
            params[-1].section = title  # type: ignore[attr-defined]
        return command

    return apply


class Sectioned(click.Command):
    """A command whose `--help` lists its options by section."""

    def format_options(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        rows: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                title = getattr(param, "section", OTHER)
                rows.setdefault(title, []).append(record)
        known = [title for title in ORDER if title in rows]
        for title in [*known, *(t for t in rows if t not in ORDER)]:
            with formatter.section(title):
                formatter.write_dl(rows[title])
