"""Serves Twisted's own WebSocket (`twisted.web.websocket`) echoing at /ws, beside a
plain page at /plain, on the edge's Site with the parser given:

    python -m tests.twisted_host.http.ws_host httptools|twisted

and prints `ws ready: http://127.0.0.1:PORT/` once it takes requests."""

from __future__ import annotations

import sys

from twisted.python.failure import Failure
from twisted.web.server import Request
from twisted.web.websocket import WebSocketTransport


class Echo:
    """Sends every text message back."""

    transport: WebSocketTransport

    def negotiationStarted(self, transport: WebSocketTransport) -> None:
        self.transport = transport

    def negotiationFinished(self) -> None:
        pass

    def pongReceived(self, payload: bytes) -> None:
        pass

    def textMessageReceived(self, message: str) -> None:
        self.transport.sendTextMessage(f"echo: {message}")

    def bytesMessageReceived(self, data: bytes | bytearray) -> None:
        self.transport.sendBytesMessage(bytes(data))

    def connectionLost(self, reason: Failure) -> None:
        pass


class EchoFactory:
    def buildProtocol(self, request: Request) -> Echo:
        return Echo()


def main(parser: str) -> int:
    from twisted_host.run.reactor import install_asyncio_reactor

    install_asyncio_reactor()
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.static import Data
    from twisted.web.websocket import WebSocketResource

    from core.settings import Settings
    from twisted_host.http.site import TwistbridgeSite
    from twisted_host.http.transport import SoonTCPEndpoint

    root = Resource()
    root.putChild(b"ws", WebSocketResource(EchoFactory()))
    root.putChild(b"plain", Data(b"plain page", "text/plain"))
    site = TwistbridgeSite(root, Settings(http=parser))
    # The Site's own transport, as `twistbridge serve` listens.
    listening = SoonTCPEndpoint(reactor, 0, "127.0.0.1").listen(site)
    listening.addCallback(
        lambda port: print(
            f"ws ready: http://127.0.0.1:{port.getHost().port}/", flush=True
        )
    )
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
