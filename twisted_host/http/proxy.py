"""Behind a proxy: the client's address and scheme as the proxy saw them, taken from
`X-Forwarded-For` / `X-Forwarded-Proto` (or RFC 7239 `Forwarded`) only when the peer
that sent them is trusted (`--forwarded-allow-ips`), for every mount and the access log
alike: the request's `getClientAddress()` and `isSecure()` say what WSGI's
`REMOTE_ADDR`/`wsgi.url_scheme` and ASGI's `client`/`scheme` then show.

The rules are uvicorn's (`uvicorn.middleware.proxy_headers`), so that an app sees the
same behind either: the trusted peers are addresses, networks and literals, or `*`;
the client is the rightmost `X-Forwarded-For` entry that is not a trusted proxy (each
proxy appends the peer it saw), the leftmost when all are; its port is the one given
or 0; the last `X-Forwarded-Proto` wins when it is http, https, ws or wss. Where a
trusted peer sends no `X-Forwarded-*`, `Forwarded`'s `for=` and `proto=` are read by
the same rules (uvicorn ignores that header). Every header is read in one pass:
linear in its length, whatever a client puts in it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress
from twisted.web.http import Request

_SCHEMES = frozenset({"http", "https", "ws", "wss"})
# One forwarded-pair of RFC 7239 §4: token "=" (token / quoted-string). Each piece
# of the pattern matches a disjoint set of characters: no backtracking.
_PAIR = re.compile(
    r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,"\s]*)\s*([;,]?)'
)
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TrustedPeers:
    """`--forwarded-allow-ips`: "127.0.0.1,::1", "10.0.0.0/8", "*"."""

    def __init__(self, allowed: str) -> None:
        items = [item.strip() for item in allowed.split(",") if item.strip()]
        self.everyone = "*" in items
        self.addresses: set[_Address] = set()
        self.networks: list[_Network] = []
        self.literals: set[str] = set()  # a Unix socket's path, say
        for item in items:
            try:
                if "/" in item:
                    self.networks.append(ipaddress.ip_network(item, strict=False))
                else:
                    self.addresses.add(ipaddress.ip_address(item))
            except ValueError:
                self.literals.add(item)
        self.trusts = lru_cache(maxsize=4096)(self._trusts)

    def __contains__(self, host: str) -> bool:
        if self.everyone:
            return True
        if not host or len(host) > 253:  # no name that long: nor a cache key
            return False
        return self.trusts(host)

    def _trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.literals
        return address in self.addresses or any(address in n for n in self.networks)

    def client(self, hops: list[str]) -> tuple[str, int]:
        """The client among the hops of a forwarding chain, leftmost first."""
        if not self.everyone:
            for hop in reversed(hops):
                host, port = _host_port(hop)
                if host not in self:
                    return host, port
        return _host_port(hops[0])


def _host_port(value: str) -> tuple[str, int]:
    # "1.2.3.4", "1.2.3.4:5", "[::1]:5", "::1"; anything else whole, port 0.
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return value, 0
        try:
            return host, int(rest[1:]) if rest else 0
        except ValueError:
            return host, 0
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        try:
            return host, int(port)
        except ValueError:
            return value, 0
    return value, 0


def forwarded_pairs(value: str) -> list[dict[str, str]]:
    """RFC 7239 elements, leftmost first: `for=1.2.3.4;proto=https, for=...`.
    Parsing stops at the first malformed pair, keeping what came before it; a
    parameter given twice in one element is malformed (RFC 7239 section 4), which
    also stops an element that repeats one parameter over the whole header."""
    elements: list[dict[str, str]] = [{}]
    position = 0
    while position < len(value):
        match = _PAIR.match(value, position)
        if match is None or match.end() == position:
            break
        name, raw, separator = match.groups()
        name = name.lower()
        if name in elements[-1]:
            break
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elements[-1][name] = raw
        if separator == ",":
            elements.append({})
        elif not separator:
            break
        position = match.end()
    return [element for element in elements if element]


class ProxyHeaders:
    """What a request's proxy headers say, believed from trusted peers only."""

    def __init__(self, allowed: str) -> None:
        self.trusted = TrustedPeers(allowed)

    def apply(self, request: Request) -> str | None:
        """Set the request's client address from the headers; return the scheme
        they give (None: the connection's own). The resource lane's."""
        client, scheme = self.resolve(
            request.getClientAddress(), request.requestHeaders.getRawHeaders
        )
        if client is not None:
            request.client = client
        return scheme

    def resolve(
        self, peer: IAddress, raw: Callable[[bytes], Sequence[bytes] | None]
    ) -> tuple[IAddress | None, str | None]:
        """The client address and the scheme the headers give, each None where the
        connection's own stands; `raw(name)` gives a header's values. Both lanes'."""
        if not isinstance(peer, IPv4Address | IPv6Address):
            return None, None
        if peer.host not in self.trusted:
            return None, None
        hops = raw(b"x-forwarded-for")
        protos = raw(b"x-forwarded-proto")
        scheme = None
        if hops is None and protos is None:
            forwarded = raw(b"forwarded")
            if forwarded is None:
                return None, None
            elements = forwarded_pairs(",".join(v.decode("latin-1") for v in forwarded))
            fors = [e["for"] for e in elements if "for" in e]
            protos_of = [e["proto"] for e in elements if "proto" in e]
            chain = ", ".join(fors) if fors else None
            scheme = protos_of[-1].lower() if protos_of else None
        else:
            chain = b", ".join(hops).decode("latin-1") if hops else None
            if protos:
                scheme = protos[-1].decode("latin-1").strip()
        client: IAddress | None = None
        if chain is not None:
            host, port = self.trusted.client([h.strip() for h in chain.split(",")])
            if host:
                kind = IPv6Address if ":" in host else IPv4Address
                client = kind("TCP", host, port)
        return client, scheme if scheme in _SCHEMES else None
