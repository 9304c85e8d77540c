"""The reverse proxy: `ReverseProxyResource`, as the chapter's closing list names it.

"Twisted Web in 60 Seconds", reverse-proxy: Twisted's resource connects to the
upstream from the reactor and writes the answer to the request as it arrives; no
thread waits on it. Reworked where the stock one falls short of a contract:
- one leaf for every path below, checked and re-quoted by `core.proxy.target`
  (the stock `getChild` would forward `..` as it came);
- headers by `core.proxy`'s rules (the stock client keeps one value per name and
  passes hop-by-hop headers back);
- the upstream's socket is the answer's producer: when the client reads slowly, the
  reactor stops reading the upstream, so a 50 MiB answer is never held in memory;
- a refused connection is 502 and a timeout 504 with the contract's pages (the stock
  factory answers 501 "Could not connect" and waits forever).
Its client, `ProxyClient`, is an `HTTPClient`, deprecated since Twisted 24.7 in
favour of `Agent` but still what `ReverseProxyResource` is built on (pyproject's
warning filter names it; Twisted is pinned below 27).
"""

from __future__ import annotations

from typing import Any

from OpenSSL import SSL
from OpenSSL.crypto import X509StoreFlags
from twisted.internet import reactor as default_reactor
from twisted.internet._sslverify import IOpenSSLTrustRoot  # public in use only
from twisted.internet.error import TimeoutError as ConnectTimeout
from twisted.internet.interfaces import IAddress, IConnector, ITCPTransport
from twisted.internet.protocol import Protocol, connectionDone
from twisted.protocols.policies import TimeoutMixin
from twisted.python.failure import Failure
from twisted.web.http import _ChunkedTransferDecoder, _MalformedChunkedDataError
from twisted.web.proxy import ProxyClient, ProxyClientFactory, ReverseProxyResource
from twisted.web.server import NOT_DONE_YET, Request
from zope.interface import implementer

from core import proxy
from core.content import method_not_allowed_page
from core.contract import allow_header
from core.errors import ClientError
from core.settings import Settings
from twisted_host.native.errors import error, html


class UpstreamClient(ProxyClient, TimeoutMixin):
    """One request to the upstream (HTTP/1.0, then the connection closes), its answer
    relayed to `father`, the client's request."""

    factory: UpstreamFactory
    transport: ITCPTransport

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.received: list[tuple[str, str]] = []
        self._headers_done = False
        # A chunked answer (uvicorn sends one even to this HTTP/1.0 request, for a
        # body of unknown length), decoded here: `HTTPClient` would relay its framing
        # as if it were the body.
        self._chunks: _ChunkedTransferDecoder | None = None
        self._chunks_done = False

    def connectionMade(self) -> None:
        if self.factory.gone:
            self.transport.abortConnection()
            return
        self.setTimeout(self.factory.timeout)
        self.father.registerProducer(self.transport, True)
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        self.resetTimeout()
        super().dataReceived(data)

    def handleHeader(self, key: bytes, value: bytes) -> None:
        self.received.append((key.decode("latin-1"), value.decode("latin-1")))

    def handleEndHeaders(self) -> None:
        self._headers_done = True
        if proxy.is_chunked(self.received) and self.father.method != b"HEAD":
            self.length = None  # RFC 9112 section 6.3: chunked wins over a length
            self._chunks = _ChunkedTransferDecoder(self.handleResponsePart, self._ended)
        # Known only once they are all in: a header `Connection` names is hop-by-hop.
        for name, value in proxy.response_headers(self.received):
            super().handleHeader(name.encode("latin-1"), value.encode("latin-1"))

    def rawDataReceived(self, data: bytes) -> None:
        if self._chunks is None:
            super().rawDataReceived(data)
        elif not self._chunks_done:
            try:
                self._chunks.dataReceived(data)
            except _MalformedChunkedDataError:
                self._cut(502, proxy.BROKEN)

    def _ended(self, extra: bytes) -> None:
        self._chunks_done = True
        self.handleResponseEnd()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        # The upstream closed: the end of the answer, unless its framing says more
        # was to come (a length not reached, no last chunk, no end of headers).
        bodiless = self.father.method == b"HEAD" or self.father.code in (204, 304)
        short = not self._headers_done or (
            not bodiless
            and (
                (self._chunks is not None and not self._chunks_done)
                or (self._chunks is None and self.length not in (None, 0))
            )
        )
        if short and not self._finished and not self.factory.gone:
            self._cut(502, proxy.BROKEN)
            return
        super().connectionLost(reason)

    def _cut(self, status: int, detail: str) -> None:
        """The answer broke off (or never came in time): `status` while nothing is
        sent, else the client's connection cut, so that it cannot take what it got
        for the whole; the upstream's connection goes either way."""
        if not self._finished and not self.factory.gone:
            self._finished = True
            self.father.unregisterProducer()
            self.setTimeout(None)
            if self.father.startedWriting:
                self.father.channel.transport.abortConnection()
            else:
                self.father.responseHeaders.removeHeader(b"content-length")
                self.factory.fail(status, detail)
        self.transport.abortConnection()

    def handleResponseEnd(self) -> None:
        if self.factory.gone:
            self._finished = True  # a request whose client left cannot be finished
        elif not self._finished:
            self.father.unregisterProducer()
        self.setTimeout(None)
        super().handleResponseEnd()

    def timeoutConnection(self) -> None:
        self._cut(504, proxy.TOO_SLOW)


class UpstreamFactory(ProxyClientFactory):
    protocol = UpstreamClient

    def __init__(self, *args: Any, timeout: float) -> None:
        super().__init__(*args)
        self.timeout = timeout
        self.gone = False  # the client left: nothing more is written to it
        self.connector: IConnector | None = None
        self.father.notifyFinish().addErrback(self._client_left)

    def buildProtocol(self, addr: IAddress | None) -> Protocol | None:
        # The stock factory leaves `factory` unset on the protocols it builds.
        client: Protocol | None = super().buildProtocol(addr)
        if client is not None:
            client.factory = self
        return client

    def _client_left(self, _: Failure) -> None:
        self.gone = True
        if self.connector is not None:
            self.connector.disconnect()

    def clientConnectionFailed(self, connector: IConnector, reason: Failure) -> None:
        if not self.gone:
            if reason.check(ConnectTimeout):
                self.fail(504, proxy.TOO_SLOW)
            else:
                self.fail(502, proxy.UNREACHABLE)

    def fail(self, status: int, detail: str) -> None:
        self.father.write(error(self.father, status, detail))
        self.father.finish()


@implementer(IOpenSSLTrustRoot)
class UpstreamTrust:
    """The system's CAs and `Settings.upstream_ca`'s certificates, each trusted as
    it is (OpenSSL's partial chain), as `core.proxy.tls_context` is for the other
    mounts: Twisted's own trust roots take CAs only, not a server's certificate."""

    def __init__(self, ca_file: str | None) -> None:
        self.ca_file = ca_file

    def _addCACertsToContext(self, context: SSL.Context) -> None:
        context.set_default_verify_paths()
        if self.ca_file:
            context.load_verify_locations(self.ca_file.encode())
            store = context.get_cert_store()
            assert store is not None  # a context's, always there
            store.set_flags(X509StoreFlags.PARTIAL_CHAIN)


class Proxy(ReverseProxyResource):
    """`M/proxy/<path>`: everything below, forwarded to `settings.upstream`."""

    isLeaf = True

    def __init__(self, settings: Settings) -> None:
        self.upstream = proxy.upstream_of(settings.upstream)
        self.timeout = settings.upstream_timeout
        self.ca = settings.upstream_ca
        up = self.upstream
        host, port, path = (up.host, up.port, up.path) if up else ("", 0, "")
        super().__init__(host, port, path.encode(), default_reactor)

    def render(self, request: Request) -> bytes | int:
        method = request.method.decode("latin-1")
        if method not in proxy.METHODS:
            request.setResponseCode(405)
            request.setHeader(b"allow", allow_header(proxy.METHODS).encode())
            return html(request, method_not_allowed_page(method))
        if self.upstream is None:
            return error(request, 502, proxy.NO_UPSTREAM)
        path, _, query = request.uri.decode("latin-1").partition("?")
        try:
            depth = len(request.prepath or ())
            rest = proxy.target(self.upstream, path, depth, query)
        except ClientError as refused:
            return error(request, refused.status, refused.detail)
        request.defaultContentType = None  # the upstream's headers, and only those
        assert request.content is not None  # native resources get the whole body
        request.content.seek(0, 0)
        body: bytes = request.content.read()
        headers = proxy.request_headers(
            (
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, values in request.requestHeaders.getAllRawHeaders()
                for value in values
            ),
            upstream=self.upstream,
            client=getattr(request.getClientAddress(), "host", None),
            scheme="https" if request.isSecure() else "http",
        )
        if body or "content-length" in headers:  # a chunked body arrived whole
            headers["content-length"] = str(len(body))
        factory = UpstreamFactory(
            request.method,
            rest.encode("latin-1"),
            request.clientproto,
            {k.encode("latin-1"): v.encode("latin-1") for k, v in headers.items()},
            body,
            request,
            timeout=self.timeout,
        )
        factory.connector = self._connect(factory)
        return NOT_DONE_YET

    def _connect(self, factory: UpstreamFactory) -> IConnector:
        assert self.upstream is not None
        up = self.upstream
        if up.scheme == "https":
            from twisted.internet.ssl import optionsForClientTLS

            trust: IOpenSSLTrustRoot = UpstreamTrust(self.ca)  # zope says it is one
            options = optionsForClientTLS(up.host, trustRoot=trust)
            connector: IConnector = self.reactor.connectSSL(
                up.host, up.port, factory, options, timeout=self.timeout
            )
        else:
            connector = self.reactor.connectTCP(
                up.host, up.port, factory, timeout=self.timeout
            )
        return connector
