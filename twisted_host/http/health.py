"""`/healthz` and `/readyz`, what load balancers and Kubernetes probes ask.

`/healthz` answers 200 while the process answers at all (a liveness probe: a process
that stops answering gets restarted). `/readyz` answers 200 once the ASGI app's
lifespan startup is over and until a graceful stop begins, 503 before and after: a
balancer that polls it stops sending new requests to a server that is about to close
its port (`--drain-delay` keeps the port open that long after SIGTERM).
"""

from __future__ import annotations

from twisted.web.server import Request

from twisted_host.native.errors import Page, text


class Readiness:
    """Whether this server wants new requests: started, and not draining."""

    def __init__(self) -> None:
        self.started = False
        self.draining = False

    @property
    def state(self) -> str:
        if self.draining:
            return "draining"
        return "ready" if self.started else "starting"


def _no_store(request: Request) -> None:
    # A probe's answer is of this moment: no cache may keep it.
    request.setHeader(b"cache-control", b"no-store")


class Healthz(Page):
    """200 `ok` while the process answers."""

    isLeaf = True

    def render_GET(self, request: Request) -> bytes:
        _no_store(request)
        return text(request, "ok\n")


class Readyz(Page):
    """200 `ready`, or 503 `starting` / `draining`."""

    isLeaf = True

    def __init__(self, readiness: Readiness) -> None:
        super().__init__()
        self.readiness = readiness

    def render_GET(self, request: Request) -> bytes:
        _no_store(request)
        state = self.readiness.state
        if state != "ready":
            request.setResponseCode(503)
        return text(request, state + "\n")
