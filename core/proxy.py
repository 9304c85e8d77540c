"""The rules every mount's reverse proxy (`M/proxy/<path>`) shares: where the upstream
is, which URL a request goes to, and which headers cross in each direction.

The chapter closes on "a ProxyResource that renders results retrieved from another
server": `twisted.web.proxy.ReverseProxyResource`. Each mount forwards with its own
HTTP client (Twisted's protocol on the reactor, `http.client` in a WSGI pool thread,
`httpx.AsyncClient` on the event loop); what they forward is decided here, once.

Not to be confused with `Settings.proxy_headers`, which is about the Site being
*behind* a proxy: these are the rules for the Site *being* one.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, unquote_to_bytes, urlsplit

from core.content import NO_SUCH_RESOURCE
from core.errors import ClientError

# RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded (and
# `proxy-connection`, its old non-standard twin, which nginx drops too).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# What each proxy sends on; an `Allow` lists them (another method: 405).
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CHUNK = 64 * 1024  # bytes read from the upstream at a time

NO_UPSTREAM = "No upstream to forward to: start with --proxy-upstream URL."
UNREACHABLE = "The upstream server could not be reached."
BROKEN = "The upstream server gave no valid answer."
TOO_SLOW = "The upstream server did not answer in time."
ESCAPE = "The path would leave the upstream's base path."


class UpstreamCut(Exception):
    """The upstream's answer broke off after its status line went out (a length not
    reached, no last chunk, a read timed out): raised by a relay, so that its server
    cuts the client's connection rather than end the answer as if it were whole."""


# A path segment, re-quoted: RFC 3986's pchar minus "%" (which `quote` adds itself).
_PCHAR = "!$&'()*+,;=:@-._~"


@dataclass(frozen=True)
class Upstream:
    """Where proxied requests go: an http(s) origin and a base path ("" or "/asgi")."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> Upstream:
        """The upstream `url` names; ValueError (one line) when it cannot be one."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL with a host")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError(f"{url!r}: no query, fragment or user in an upstream URL")
        default = 443 if parts.scheme == "https" else 80
        return cls(
            parts.scheme, parts.hostname, parts.port or default, _base(parts.path)
        )

    @property
    def authority(self) -> str:
        """The `Host` the upstream is sent, as RFC 9110 section 7.2 writes it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@cache
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """What an https upstream is verified by: the system's CAs, and `ca_file`'s
    certificates (`Settings.upstream_ca`), each one trusted as it is, a server's own
    certificate included (OpenSSL's partial chain), as a browser trusts a pinned
    one. One context per file: costly to load, shared by every request."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def _base(path: str) -> str:
    return path.rstrip("/")


def upstream_of(url: str) -> Upstream | None:
    """The upstream of `Settings.upstream`, or None when there is none."""
    return Upstream.parse(url) if url else None


def target(upstream: Upstream, raw_path: str, depth: int, query: str) -> str:
    """The request target to send upstream for a request whose path, as sent, is
    `raw_path`; its first `depth` segments are the mount's and `proxy`.

    Every segment below stays below the upstream's base path: `.`, `..`, and an
    encoded `/`, `\\` or NUL are refused (ClientError 400), an empty segment
    (`//host`) is the Site's 404, rather than normalised, as a proxy that normalised differently from its upstream
    would let `..` through (CVE-2021-41773's kind). Segments are re-quoted, so that
    the upstream reads them as this server did."""
    segments = raw_path.split("/")[1 + depth :]
    for index, segment in enumerate(segments):
        if segment == "" and index == len(segments) - 1:
            continue  # a trailing slash: kept
        if segment == "":
            # "//host": no resource, as on the whole Site (twisted_host/http/paths.py).
            raise ClientError(404, NO_SUCH_RESOURCE)
        decoded = unquote_to_bytes(segment)
        if decoded in (b".", b"..") or any(c in decoded for c in b"/\\\x00"):
            raise ClientError(400, ESCAPE)
    rest = "".join("/" + quote(unquote_to_bytes(s), safe=_PCHAR) for s in segments)
    return upstream.path + rest + (f"?{query}" if query else "")


def forwarded_for(existing: str | None, client: str | None) -> str | None:
    """X-Forwarded-For with the client appended, as nginx's
    `$proxy_add_x_forwarded_for`; except that when the client is already in the chain
    (this Site believed a trusted proxy's header: `--proxy-headers`), the chain ends
    there, so that the upstream does not read the client twice."""
    hops = [hop.strip() for hop in (existing or "").split(",") if hop.strip()]
    if client is None:
        return ", ".join(hops) or None
    if client in hops:
        hops = hops[: len(hops) - hops[::-1].index(client)]
    else:
        hops.append(client)
    return ", ".join(hops)


def _connection_named(headers: list[tuple[str, str]]) -> set[str]:
    # `Connection: close, X-Foo` makes X-Foo hop-by-hop too (RFC 9110 section 7.6.1).
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }


def request_headers(
    headers: Iterable[tuple[str, str]],
    *,
    upstream: Upstream,
    client: str | None,
    scheme: str,
) -> dict[str, str]:
    """The headers to send upstream: the client's, less hop-by-hop ones and `Expect`
    (this Site has answered it), repeats joined with "," (RFC 9110 section 5.3), `Host`
    the upstream's, and `X-Forwarded-For/-Proto/-Host` saying who asked for what."""
    pairs = list(headers)
    dropped = HOP_BY_HOP | _connection_named(pairs) | {"expect", "host"}
    dropped |= {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}
    sent: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key not in dropped:
            sent[key] = f"{sent[key]},{value}" if key in sent else value
    received = {name.lower(): value for name, value in pairs}
    sent["host"] = upstream.authority
    hops = forwarded_for(received.get("x-forwarded-for"), client)
    if hops is not None:
        sent["x-forwarded-for"] = hops
    sent["x-forwarded-proto"] = scheme
    if "host" in received:
        sent["x-forwarded-host"] = received["host"]
    return sent


def response_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The upstream's answer headers to pass on: all but the hop-by-hop ones, and
    `Server` and `Date`, which the answering server writes itself (as nginx does:
    uvicorn and Twisted would otherwise send both theirs and the upstream's); and no
    `Content-Length` beside a chunked coding, which it overrides (RFC 9112 6.3)."""
    pairs = list(headers)
    dropped = HOP_BY_HOP | _connection_named(pairs) | {"server", "date"}
    if is_chunked(pairs):
        dropped |= {"content-length"}
    return [(name, value) for name, value in pairs if name.lower() not in dropped]


def is_chunked(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether an answer's body is chunked: its last transfer coding is."""
    codings = [
        coding.strip().lower()
        for name, value in headers
        if name.lower() == "transfer-encoding"
        for coding in value.split(",")
    ]
    return bool(codings) and codings[-1] == "chunked"
