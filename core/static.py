"""What the static feature needs beyond a framework's file serving: one content type
per file name, which paths are never served, and the directory listing page."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

_DEFAULT_TYPE = "application/octet-stream"

# Guessed from the name alone (no /etc/mime.types), so that every mount and every
# machine answers the same `Content-Type` for the same file.
_TYPES = mimetypes.MimeTypes(filenames=())


def content_type(name: str) -> str:
    guessed, _ = _TYPES.guess_type(name, strict=False)
    if guessed is None:
        return _DEFAULT_TYPE
    if guessed.startswith("text/") or guessed in ("application/javascript",):
        return f"{guessed}; charset=utf-8"
    return guessed


def is_refused(name: str) -> bool:
    """Names never served: dot files (`.env`, `.git`), and NUL or backslash, which no
    file of ours has and which only serve to confuse a path check."""
    return name.startswith(".") or "\0" in name or "\\" in name


def local_path(root: str | os.PathLike[str], names: Sequence[str]) -> str | None:
    """Where the URL path `names` (decoded, split at "/") leads under the folder `root`,
    or None when it must not be served: a name on the way is refused (dot files, so
    `..` too), or the real path, links followed, is outside root's. Every mount asks
    this before it serves a file or a listing.
    """
    if any(is_refused(name) for name in names):
        return None
    local = os.path.normpath(os.path.join(root, *names))  # "a//b/" is "a/b"
    real, top = os.path.realpath(local), os.path.realpath(root)
    if real != top and not real.startswith(top + os.sep):
        return None
    return local


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    is_dir: bool
    size: int


def list_directory(directory: Path) -> list[Entry]:
    entries = []
    with os.scandir(directory) as scan:
        for item in scan:
            if is_refused(item.name):
                continue
            try:
                is_dir = item.is_dir()
                size = 0 if is_dir else item.stat().st_size
            except OSError:  # a dangling link, or gone since scandir saw it
                continue
            entries.append(Entry(item.name, is_dir, size))
    return sorted(entries, key=lambda entry: (not entry.is_dir, entry.name))


def listing_page(url_path: str, entries: list[Entry]) -> str:
    """The HTML listing of a directory whose URL path (ending in "/") is `url_path`."""
    title = escape(f"Directory listing for {url_path}")
    rows = "".join(
        f'<tr><td><a href="{escape(quote(entry.name))}{"/" if entry.is_dir else ""}">'
        f"{escape(entry.name)}{'/' if entry.is_dir else ''}</a></td>"
        f"<td>{'-' if entry.is_dir else entry.size}</td></tr>\n"
        for entry in entries
    )
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>\n"
        f"<table><tr><th>Name</th><th>Size</th></tr>\n{rows}</table></body></html>"
    )


def slash_url(path: str, query: str) -> str:
    """Where a folder asked for without its trailing slash redirects to. `query` is
    the raw query string decoded as latin-1: its bytes over 0x7e are escaped as
    they came, so that every mount writes the same ASCII Location."""
    url = quote(path, safe="/:@!$&'()*+,;=") + "/"
    return f"{url}?{ascii_only(query)}" if query else url


_PRINTABLE = "".join(map(chr, range(0x21, 0x7F)))


def ascii_only(raw: str) -> str:
    """`raw` (bytes decoded as latin-1) with every byte outside printable ASCII
    percent-escaped; printable ASCII, escapes included, left as it is."""
    return quote(raw, safe=_PRINTABLE, encoding="latin-1")
