"""XML-RPC: `twisted.web.xmlrpc.XMLRPC`, the chapter's closing list's "XMLRPC
implementation".

Each `xmlrpc_*` method is a procedure; one that returns a Deferred (`busy`) answers
when it fires, holding no thread, as the busy page does. Twisted parses the call,
looks the procedure up, and writes the result or a `Fault`; core decides what a
method takes and refuses (`core.xmlrpc`), and vets the body before Twisted's parser,
the stdlib's, sees it. A method other than POST gets the contract's 405; stock
`XMLRPC` answers HEAD with a 500 (`Resource.render_HEAD` calls a `render_GET` it
lacks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.web.error import UnsupportedMethod
from twisted.web.server import Request
from twisted.web.xmlrpc import XMLRPC, Fault

from core.busy import WAITED_ON
from core.settings import Settings
from core.xmlrpc import (
    XML,
    add,
    answer,
    busy_seconds,
    check_method,
    check_size,
    echo,
    now,
    parse_call,
)
from twisted_host.native.errors import Page

if TYPE_CHECKING:
    from core.xmlrpc import Value


class XMLRPCPage(Page, XMLRPC):
    """The procedures at `M/xmlrpc`, and `Page`'s answers to bad requests."""

    # XMLRPC is a leaf (its sub-handlers are dotted names, not paths): here, as on
    # the other mounts, `/xmlrpc/anything` is a 404.
    isLeaf = False

    def __init__(self, settings: Settings) -> None:
        super().__init__(allowNone=True)
        self.settings = settings

    def render_HEAD(self, request: Request) -> bytes:
        raise UnsupportedMethod(self.allowedMethods)

    def render_POST(self, request: Request) -> bytes | int:
        assert request.content is not None  # the edge has read the body
        body = request.content.read()
        check_size(len(body), self.settings)
        try:
            parse_call(body)
        except Fault as refused:
            request.setHeader(b"content-type", XML.encode())
            return answer(refused)
        result: bytes | int = super().render_POST(request)
        return result

    def lookupProcedure(self, procedurePath: str) -> object:
        check_method(procedurePath)
        return getattr(self, f"xmlrpc_{procedurePath}")

    def xmlrpc_echo(self, *params: Value) -> Value:
        return echo(*params)

    def xmlrpc_add(self, *params: Value) -> int | float:
        return add(*params)

    def xmlrpc_now(self, *params: Value) -> str:
        return now(*params)

    def xmlrpc_busy(self, *params: Value) -> Deferred[str]:
        """Waits on a reactor timer, as the busy page does: no thread held."""
        seconds = busy_seconds(params, self.settings)
        return deferLater(reactor, seconds, lambda: WAITED_ON[("native", "busy")])
