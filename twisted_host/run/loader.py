"""Apps named on the command line: `PREFIX=module:attribute`, imported the way uvicorn
imports `module:app` (`uvicorn.importer.import_from_string`: a module path, a colon,
attributes separated by dots; the same three errors), optionally an app factory
called with no arguments (uvicorn's `--factory`).

Kept here rather than calling uvicorn's function: it is not among uvicorn's
documented API, and twistbridge's errors name the flag and the prefix as well.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any


class LoadError(ValueError):
    """Why an app could not be loaded: one line, for the command line."""


def split_spec(value: str) -> tuple[str, str]:
    """ "/api=main:app" as ("/api", "main:app")."""
    prefix, sep, target = value.partition("=")
    if not sep or not prefix or not target:
        raise LoadError(f"{value!r} is not PREFIX=MODULE:ATTRIBUTE, e.g. /api=main:app")
    return prefix, target


def import_from_string(target: str) -> Any:
    """The object `module:attr.attr` names (uvicorn's semantics)."""
    module_name, _, attrs = target.partition(":")
    if not module_name or not attrs:
        raise LoadError(
            f'Import string "{target}" must be in format "<module>:<attribute>".'
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        if missing.name != module_name:
            raise  # the module exists; something it imports does not: its traceback
        raise LoadError(f'Could not import module "{module_name}".') from None
    except SyntaxError as bad:  # where, in one line (--reload waits for a fix)
        where = f"{bad.filename}:{bad.lineno}"
        raise LoadError(f"{where}: {bad.msg} (importing {module_name})") from None
    found: Any = module
    try:
        for attr in attrs.split("."):
            found = getattr(found, attr)
    except AttributeError:
        raise LoadError(
            f'Attribute "{attrs}" not found in module "{module_name}".'
        ) from None
    return found


def load(target: str, *, factory: bool = False, resource: bool = False) -> Any:
    """The app `target` names: called first when it is a factory; LoadError when it
    is not something a server can call (or, with `resource`, not a `twisted.web`
    IResource)."""
    app = import_from_string(target)
    if factory:
        if not callable(app):
            raise LoadError(f'"{target}" is not a callable app factory.')
        try:
            app = app()
        except TypeError as wrong:
            raise LoadError(
                f'"{target}" could not be called as a factory: {wrong}'
            ) from None
    kind = type(app).__name__
    if resource:
        from twisted.web.resource import IResource

        if not IResource.providedBy(app):
            raise LoadError(f'"{target}" is a {kind}, not a twisted.web IResource.')
    elif not callable(app):
        raise LoadError(f'"{target}" is a {kind}, not an app (a callable).')
    return app


def add_app_dir(folder: Path) -> None:
    """Look for apps' modules in `folder` first (uvicorn's `--app-dir`)."""
    sys.path.insert(0, str(folder.resolve()))
