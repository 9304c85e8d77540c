"""The head a rule reads (`Head`), the answer a rule gives (`Refusal`), and the
rule itself as the registry lists it (`Rule`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import NamedTuple

from core.content import error_page
from core.contract import HTML

Field = tuple[bytes, bytes]  # a header as received: its name lower-cased, its value

# RFC 9110 section 5: field-name ":" OWS field-value OWS; a name is a token, a value
# has no control byte but HTAB.
FIELD_LINE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*")


class Head(NamedTuple):
    """A request head as a parser read it: no `twisted.web` Request. (A tuple: one is
    made per request on every lane, and a frozen dataclass costs four times as much
    to build.)"""

    method: bytes
    target: bytes
    version: bytes  # b"HTTP/1.1", b"HTTP/1.0", as on the request line
    fields: list[Field]

    def values(self, name: bytes) -> list[bytes]:
        """Every value of the header `name` (lower case), in order of arrival."""
        return [value for key, value in self.fields if key == name]


@dataclass(frozen=True, slots=True)
class Refusal:
    """An answer the edge gives instead of the app's: then the connection closes."""

    rule: str  # the name of the rule in RULES
    status: int
    detail: str

    def page(self) -> str:
        """The body: core's error page."""
        return error_page(self.status, self.detail)

    def answer(self) -> bytes:
        """The whole HTTP/1.1 answer, which closes the connection."""
        return refusal(self.status, self.detail)


def refusal(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 answer with core's error page that closes the connection."""
    body = error_page(status, detail).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        f"Content-Type: {HTML}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: what it answers, whether it closes, the sentence it follows."""

    name: str
    status: int | None  # None: the rule decides something other than a refusal
    closes: bool  # the connection closes once it applies
    rfc: str  # the sentence (or the reference's behaviour) it follows
    h2: bool  # it applies to a request on an HTTP/2 stream too
    function: Callable[..., object]


MALFORMED = "The request is malformed."

# RFC 9110 section 5: field-name ":" OWS field-value OWS; a name is a token, a value
# has no control byte but HTAB.
