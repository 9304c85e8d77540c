"""The rules of the connection: persistence, and the deadlines of the Site's sweep."""

from __future__ import annotations

import re

from core.contract import HTML
from core.settings import Settings
from twisted_host.http.rules.head import Refusal

_CLOSE = re.compile(rb"(?:^|,)[ \t]*close[ \t]*(?:,|$)", re.IGNORECASE)


def persists(version: bytes, connection: list[bytes]) -> bool:
    """Whether the connection persists after the answer. RFC 9110 section 7.6.1:
    Connection is a list, over any number of lines; "close" in any of them ends it
    (Twisted's own read the first line only, split at spaces). HTTP/1.0 closes."""
    return version == b"HTTP/1.1" and not any(map(_CLOSE.search, connection))


def concurrency(in_flight: int, limits: Settings) -> Refusal | None:
    """503 for a request that would have more than `limit_concurrency` requests in
    flight in this process (uvicorn's --limit-concurrency), counting itself; the
    connection stays open: the client may try again on it (Retry-After)."""
    limit = limits.limit_concurrency
    if in_flight > limit > 0:
        detail = f"Over {limit} requests in flight; try again."
        return Refusal("concurrency", 503, detail)
    return None


def over_limit(refused: Refusal) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The body and headers of `concurrency`'s 503, as both lanes send it: core's
    page, and Retry-After, since the connection stays open for the next try."""
    body = refused.page().encode()
    headers = [
        (b"retry-after", b"1"),
        (b"content-type", HTML.encode()),
        (b"content-length", b"%d" % len(body)),
    ]
    return body, headers


def header_deadline(
    started: float | None, now: float, limits: Settings
) -> Refusal | None:
    """408 for a head whose first byte came over `header_timeout` seconds ago and is
    not complete (slowloris)."""
    if started is not None and now - started > limits.header_timeout:
        detail = f"The headers took over {limits.header_timeout:g} s."
        return Refusal("header_deadline", 408, detail)
    return None


# Seconds the answers under way get once a client half-closed: a FIN alone does not
# tell a half-close from a client gone, so an app waiting on its client (for
# `http.disconnect`, say) learns of it after this, as an app of a client gone did.
HALF_CLOSE_GRACE = 1.0


def half_close_expired(closed: float | None, now: float) -> bool:
    """A client that half-closed (at `closed`, monotonic) has ended its requests,
    not the answers owed (RFC 9112 section 9.6: a connection closes in stages);
    those ready within `HALF_CLOSE_GRACE` seconds are sent, as uvicorn and nginx
    send theirs, then the connection closes."""
    return closed is not None and now - closed > HALF_CLOSE_GRACE


def idle_expired(last_activity: float, now: float, limits: Settings) -> bool:
    """A keep-alive connection that sent nothing for `idle_timeout` seconds, with
    no answer under way, is closed without a word (RFC 9112 section 9.8)."""
    return now - last_activity > limits.idle_timeout
