"""`serve --config FILE` (TOML) and `[tool.twistbridge]` of the working folder's
`pyproject.toml`: the flags' own names as keys (`port = 8080`, `log-level = "debug"`,
`asgi = ["/=main:app"]`, `demo = false`), read as click's defaults so that a flag
given on the command line overrides its key. An unknown key is a one-line usage
error naming it and the file.

`twistd -n twistbridge` parses `serve`'s flags with the same command, so it reads
the same file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "twistbridge")


def _table(path: Path, *, pyproject: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as bad:
        raise click.BadParameter(f"{path}: {bad}", param_hint="'--config'") from None
    if pyproject:
        found: Any = document
        for key in TABLE:
            found = found.get(key, {}) if isinstance(found, dict) else {}
        document = found if isinstance(found, dict) else {}
    return document


def _names(command: click.Command) -> dict[str, tuple[str, bool]]:
    """A key of the file (a flag's long name without "--") to its parameter, and
    whether the key says the opposite (`no-demo = true` for `demo = false`)."""
    names: dict[str, tuple[str, bool]] = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.name and not param.hidden:
            for flags, opposite in ((param.opts, False), (param.secondary_opts, True)):
                for flag in flags:
                    if flag.startswith("--"):
                        names[flag[2:]] = (param.name, opposite)
    return names


def load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """`--config`'s callback (eager: before the other flags are read): the file's
    values as the command's defaults. Without `--config`, `pyproject.toml`'s
    `[tool.twistbridge]`, when the working folder has one."""
    pyproject = value is None
    path = Path(PYPROJECT) if value is None else value
    if pyproject and not path.is_file():
        return
    table = _table(path, pyproject=pyproject)
    names = _names(ctx.command)
    defaults: dict[str, Any] = {}
    where = f"[{'.'.join(TABLE)}] of {path}" if pyproject else str(path)
    for key, setting in table.items():
        name, opposite = names.get(key, ("config", False))
        if name == "config":
            raise click.UsageError(f"unknown key {key!r} in {where}")
        defaults[name] = not setting if opposite else setting
    ctx.default_map = {**(ctx.default_map or {}), **defaults}


config_option = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    is_eager=True,
    expose_value=False,
    callback=load_config,
    help="A TOML file of flags (their names as keys, without --), which flags given here override. Default: [tool.twistbridge] of ./pyproject.toml.",
)
