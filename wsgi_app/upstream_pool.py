"""Keep-alive connections to the proxy's upstream, shared by the WSGI pool threads.

`http.client` has no pool: each proxied request opened a connection (and, over
https, a TLS handshake) and closed it. Here a connection whose answer was read to
its end, and that the upstream keeps open, waits in the pool for the next request:
at most `Settings.upstream_pool` of them wait (`--proxy-pool`), the others close.

An idle connection the upstream has closed meanwhile (its keep-alive timeout; 5 s
for uvicorn) is seen as readable before it is reused, and dropped. One can still
close between that look and the request: a request without a body is then sent
again on a new connection (as Twisted's pool and nginx do for idempotent requests);
one with a body is not, its body being a stream already partly sent.
"""

from __future__ import annotations

import http.client
import select
import threading
from functools import cache

from core import proxy

Connection = http.client.HTTPConnection


class UpstreamPool:
    """Idle connections to one upstream, at most `size` of them."""

    def __init__(
        self, upstream: proxy.Upstream, timeout: float, ca: str | None, size: int
    ) -> None:
        self.upstream = upstream
        self.timeout = timeout
        self.ca = ca
        self.size = size
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def new(self) -> Connection:
        up = self.upstream
        if up.scheme == "https":
            context = proxy.tls_context(self.ca)
            return http.client.HTTPSConnection(
                up.host, up.port, timeout=self.timeout, context=context
            )
        return http.client.HTTPConnection(up.host, up.port, timeout=self.timeout)

    def take(self) -> Connection | None:
        """An idle connection still open, or None."""
        while True:
            with self._lock:
                if not self._idle:
                    return None
                connection = self._idle.pop()
            if connection.sock is not None and not _readable(connection):
                return connection
            connection.close()  # closed by the upstream while it waited

    def give_back(
        self, connection: Connection, answer: http.client.HTTPResponse
    ) -> None:
        """Keep `connection` for the next request if its answer was read to the end
        and the upstream keeps it open; else close it."""
        # `read1` leaves an answer whose length it has read open: its end is a
        # length down to 0 (a chunked one closes itself at its last chunk).
        ended = answer.isclosed() or (not answer.chunked and answer.length == 0)
        if ended and not answer.will_close:
            answer.close()  # the connection takes a next request once it is
            with self._lock:
                if len(self._idle) < self.size:
                    self._idle.append(connection)
                    return
        connection.close()


def _readable(connection: Connection) -> bool:
    # An idle connection has nothing to read: readable means closed (or garbage).
    return bool(select.select([connection.sock], [], [], 0)[0])


@cache
def pool_for(
    upstream: proxy.Upstream, timeout: float, ca: str | None, size: int
) -> UpstreamPool:
    """The one pool of this process for the upstream."""
    return UpstreamPool(upstream, timeout, ca, size)
