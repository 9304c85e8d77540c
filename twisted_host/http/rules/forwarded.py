"""The proxy-header rule: the client's address and scheme as the proxy saw them, taken
from `X-Forwarded-For` / `X-Forwarded-Proto` (or RFC 7239 `Forwarded`) only when the
peer that sent them is trusted (`--forwarded-allow-ips`), for every mount and the access
log alike: the request's `getClientAddress()` and `isSecure()` (set from what
`ProxyHeaders.read` returns) say what WSGI's `REMOTE_ADDR`/`wsgi.url_scheme` and ASGI's
`client`/`scheme` then show.

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
from collections.abc import Callable
from functools import lru_cache

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

    def read(
        self, peer: str, values: Callable[[bytes], list[bytes]]
    ) -> tuple[tuple[str, int] | None, str | None]:
        """The client (host, port) and the scheme that a head's proxy headers give
        (`values`: a header's values by lower-case name, as `Head.values`), sent by
        the peer at `peer` (an IP address): (None, None) when it is not trusted or
        says nothing; a scheme of None: the connection's own."""
        if peer not in self.trusted:
            return None, None
        hops = values(b"x-forwarded-for")
        protos = values(b"x-forwarded-proto")
        scheme = None
        if not hops and not protos:
            forwarded = values(b"forwarded")
            if not forwarded:
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
        client = None
        if chain is not None:
            client = self.trusted.client([h.strip() for h in chain.split(",")])
            if not client[0]:
                client = None
        return client, scheme if scheme in _SCHEMES else None
