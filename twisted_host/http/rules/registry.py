"""Every rule of the edge, with its status, whether it closes the connection and the
sentence it follows: the edge-rule table holds a row for each."""

from __future__ import annotations

from collections.abc import Callable

# Each module by its full name: the package imports this one (a cycle otherwise).
import twisted_host.http.rules.body as body
import twisted_host.http.rules.connection as connection
import twisted_host.http.rules.fields as fields
import twisted_host.http.rules.request_line as request_line
from twisted_host.http.rules.forwarded import ProxyHeaders
from twisted_host.http.rules.head import Head, Refusal, Rule


def _rule(
    function: Callable[..., object],
    status: int | None,
    rfc: str,
    *,
    name: str | None = None,
    closes: bool = True,
    h2: bool = False,
) -> Rule:
    return Rule(name or function.__name__, status, closes, rfc, h2, function)


RULES: tuple[Rule, ...] = (
    _rule(
        request_line.request_form,
        400,
        "RFC 9112 §2.2: a server that receives an invalid "
        "request line SHOULD respond with 400 and close.",
    ),
    _rule(
        request_line.request_line_length,
        414,
        "RFC 9112 §3: a server that receives a "
        "request-target longer than it wishes to parse MUST respond with 414.",
    ),
    _rule(
        request_line.version,
        400,
        "RFC 9112 §2.3: a server answers the major version it "
        "serves; nothing but HTTP/1.0 and HTTP/1.1 is read on a request line.",
    ),
    _rule(
        request_line.target,
        400,
        "RFC 9112 §3.2: a request-target is origin, absolute, "
        "authority or asterisk form, in visible ASCII.",
        h2=True,
    ),
    _rule(
        fields.host,
        400,
        "RFC 9112 §3.2: a server MUST respond with 400 to any "
        "HTTP/1.1 request that lacks a Host field or has more than one, or an "
        "invalid one.",
    ),
    _rule(
        fields.field_line,
        400,
        "RFC 9110 §5.5: field values contain no control "
        "character but HTAB; a recipient MUST reject them or replace them.",
    ),
    _rule(
        fields.field_line,
        400,
        "RFC 9112 §5.2: a server that receives obs-fold in a "
        "request MUST reject it with 400 or replace it with SP.",
        name="obs_fold",
    ),
    _rule(
        fields.header_block,
        431,
        "RFC 6585 §5: 431 when the header fields, one or all, are too large.",
    ),
    _rule(
        fields.transfer_encoding,
        400,
        "RFC 9112 §6.3: if chunked is not the final "
        "coding, the server MUST respond with 400 and close.",
    ),
    _rule(
        fields.content_length,
        400,
        "RFC 9112 §6.3: an invalid Content-Length is an "
        "unrecoverable error; the server MUST respond with 400 and close.",
    ),
    _rule(
        body.body_size,
        413,
        "RFC 9110 §15.5.14: 413 when the content is larger "
        "than the server will process; it MAY close.",
        h2=True,
    ),
    _rule(
        body.trailer_field,
        400,
        "RFC 9112 §7.1.2: a trailer section is field lines; "
        "anything else is a malformed message.",
    ),
    _rule(
        body.trailer_field,
        400,
        "RFC 9110 §6.5.1: a sender MUST NOT generate a "
        "trailer field needed for framing (Content-Length, Transfer-Encoding).",
        name="trailer_framing",
    ),
    _rule(
        fields.expects_continue,
        None,
        "RFC 9110 §10.1.1: a server that receives "
        "100-continue in an HTTP/1.1 request sends 100 before reading the body.",
        closes=False,
    ),
    _rule(
        connection.persists,
        None,
        "RFC 9112 §9.6: a server that receives 'close' in "
        "Connection MUST close after its answer; HTTP/1.0 closes unless kept.",
        name="persists",
    ),
    _rule(
        connection.concurrency,
        503,
        "RFC 9110 §15.6.4: 503 when the server cannot handle the request because of "
        "a temporary overload; Retry-After may say how long (uvicorn's "
        "--limit-concurrency).",
        closes=False,
    ),
    _rule(
        connection.header_deadline,
        408,
        "RFC 9110 §15.5.9: 408 when the server did not "
        "receive a complete request in the time it was prepared to wait.",
    ),
    _rule(
        connection.half_close_expired,
        None,
        "RFC 9112 §9.6: a connection closes in stages; a client's half-close ends "
        "its requests, not the answers owed (uvicorn and nginx answer first).",
    ),
    _rule(
        connection.idle_expired,
        None,
        "RFC 9112 §9.8: a server MAY close an idle "
        "connection at any time (uvicorn's timeout_keep_alive).",
    ),
    _rule(
        fields.wsgi_passes,
        None,
        "CGI (RFC 3875 §4.1.18) maps '-' to '_': a name with "
        "'_' is dropped (gunicorn's header_map 'drop', nginx's "
        "underscores_in_headers off).",
        closes=False,
        h2=True,
    ),
    _rule(
        ProxyHeaders.read,
        None,
        "uvicorn's proxy_headers: X-Forwarded-For/-Proto "
        "are read from trusted peers only.",
        name="proxy_headers",
        closes=False,
        h2=True,
    ),
)
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def admit(head: Head) -> Refusal | None:
    """The rules of a complete head, in the order every lane applies them: the
    version, Host, then the target. (The parsers apply the others as they read.)"""
    return (
        request_line.version(head.version)
        or fields.host(head)
        or request_line.target(head.method, head.target)
    )
