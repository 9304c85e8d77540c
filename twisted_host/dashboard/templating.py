"""The HTML around the mounts (index, compare pages): Jinja2 templates, Pygments
highlighting, and the few filters they share."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from twisted.web.server import Request

from core.mounts import UVICORN_PREFIX

_formatter = HtmlFormatter(cssclass="highlight", style="default")
_CODE = re.compile(r"`([^`]+)`")


def code_block(source: str) -> Markup:
    """Python source as highlighted HTML: `<div class="highlight"><pre>...`."""
    # A lexer per call, not one made at import: the first compiles Python's rules
    # (30-40 ms, then kept by the class), which every server's start paid, though
    # most never show a compare page.
    return Markup(highlight(source, PythonLexer(), _formatter))


def highlight_css() -> Markup:
    return Markup(_formatter.get_style_defs(".highlight"))


def inline_markdown(text: str) -> Markup:
    """The one piece of Markdown the notes use: `code` spans; the rest is escaped."""
    escaped = str(escape(text))
    return Markup(_CODE.sub(r"<code>\1</code>", escaped))


def figure(value: float | None, kind: str = "") -> str:
    """A live figure as the dashboard shows it; its script formats the same way."""
    if value is None:
        return "\u2013"
    if kind == "ms":
        return f"{value:.1f}" if value < 10 else f"{value:.0f}"
    if kind == "rate":
        return f"{value:.1f}"
    return str(value)


def uvicorn_base(request: Request, uvicorn_port: int | None) -> str | None:
    """Where uvicorn's `/asgi` starts, on the host name the browser used for us."""
    if not uvicorn_port:
        return None
    host = request.getRequestHostname().decode("ascii", "replace")
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if request.isSecure() else "http"  # uvicorn serves as we do
    return f"{scheme}://{host}:{uvicorn_port}{UVICORN_PREFIX}"


_env = Environment(
    loader=PackageLoader("twisted_host.dashboard"), autoescape=select_autoescape()
)
_env.filters["md"] = inline_markdown
_env.filters["figure"] = figure
_env.globals["highlight_css"] = highlight_css
# Where the dashboard's pages and /metrics are (`--dashboard`, `--ops-prefix`): what
# the pages' links start with, "" at `/`. One Site a process: set once, by `place`.
_env.globals["base"] = ""
_env.globals["ops"] = ""


def place(dashboard: str, ops: str) -> None:
    """The dashboard's prefix and the ops endpoints' ("/", "/admin"), for the links."""
    _env.globals["base"] = dashboard.rstrip("/")
    _env.globals["ops"] = ops.rstrip("/")


def base() -> str:
    """What the dashboard's own links start with ("" at `/`)."""
    found = str(_env.globals["base"])
    return found


def render(template: str, **context: Any) -> str:
    return _env.get_template(template).render(**context)
