"""The proxy: everything below `/proxy/`, forwarded to the upstream.

A Klein handler may return any `twisted.web` resource, and a branch route hands it the
rest of the path: Twisted's `ReverseProxyResource` (the native tree's, with core's
rules on headers, paths, 502 and 504) does the forwarding on the reactor, the
upstream's socket the answer's producer, no thread held. The same object as the
native mount's, not a copy: the lesson is the route that returns it.
"""

from __future__ import annotations

from functools import cached_property

from twisted.web.server import Request

from klein_app.errors import Routes, app
from twisted_host.native.proxy import Proxy


class Forward(Routes):
    @cached_property
    def upstream(self) -> Proxy:
        return Proxy(self.settings)

    @app.route("/proxy", branch=True)
    @app.route("/proxy/")
    def proxy(self, request: Request) -> Proxy:
        """Any method, any path below: relayed to the upstream and back."""
        return self.upstream
