"""The edge's rules: every check the Site makes of a request head before any app runs,
as plain functions over the parsed head (`Head`) or the piece of it a parser has just
read, each with its status, its page (core's error page) and the RFC sentence it
follows; `RULES` lists them (`registry.py`).

One package, so that every lane and parser enforces the same rules: Twisted's parser
(`http/channel.py`), httptools' (`http/httptools_impl.py`), HTTP/2 (`http/h2.py`),
the request (`http/request.py`) and any lane built straight from a parser's callbacks
call these functions rather than check inline. A function returns a `Refusal` (the
answer owed; the connection closes after it) or None; a few decide instead
(`persists`, `expects_continue`, `wsgi_passes`, `ProxyHeaders.read`). The edge-rule
table (`tests/twisted_host/http/test_edge_rules.py`) holds a row for each rule of the
registry: a rule added without a row fails it.

It imports nothing of the lanes (the limits are `core.settings.Settings`), so any of
them may import it.
"""

from twisted_host.http.rules.body import body_size, trailer_field
from twisted_host.http.rules.connection import (
    HALF_CLOSE_GRACE,
    concurrency,
    half_close_expired,
    header_deadline,
    idle_expired,
    over_limit,
    persists,
)
from twisted_host.http.rules.fields import (
    content_length,
    expects_continue,
    field_line,
    header_block,
    header_line_length,
    host,
    transfer_encoding,
    wsgi_passes,
)
from twisted_host.http.rules.forwarded import ProxyHeaders
from twisted_host.http.rules.head import MALFORMED, Field, Head, Refusal, Rule, refusal
from twisted_host.http.rules.llhttp import llhttp_refusal
from twisted_host.http.rules.registry import BY_NAME, RULES, admit
from twisted_host.http.rules.request_line import (
    request_form,
    request_line_length,
    target,
    version,
)

__all__ = [
    "BY_NAME",
    "HALF_CLOSE_GRACE",
    "MALFORMED",
    "RULES",
    "Field",
    "Head",
    "ProxyHeaders",
    "Refusal",
    "Rule",
    "admit",
    "body_size",
    "concurrency",
    "content_length",
    "expects_continue",
    "field_line",
    "half_close_expired",
    "header_block",
    "header_deadline",
    "header_line_length",
    "host",
    "idle_expired",
    "llhttp_refusal",
    "over_limit",
    "persists",
    "refusal",
    "request_form",
    "request_line_length",
    "target",
    "trailer_field",
    "transfer_encoding",
    "version",
    "wsgi_passes",
]
