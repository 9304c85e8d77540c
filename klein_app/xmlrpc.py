"""XML-RPC: the stdlib's `SimpleXMLRPCDispatcher` in a Klein route.

As on the ASGI mount, the dispatcher's `_marshaled_dispatch` would marshal what a
function returns at once, so a Deferred could not wait in it: the handler parses the
call (core's guarded parser), has the dispatcher find and call the function, awaits
the Deferred `busy` returns, and marshals the answer as the dispatcher would. `busy`
is `deferLater`, holding no thread, as Twisted's `XMLRPC` on the native mount does it.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING
from xmlrpc.client import Fault

from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.web.server import Request

from core.busy import WAITED_ON
from core.settings import Settings
from core.xmlrpc import (
    XML,
    Dispatcher,
    add,
    answer,
    busy_seconds,
    check_size,
    echo,
    now,
    parse_call,
)
from klein_app.errors import Routes, app

if TYPE_CHECKING:
    from core.xmlrpc import Value


def create_dispatcher(settings: Settings) -> Dispatcher:
    """The procedures, registered by name; `busy` knows the limit of `seconds`."""

    def busy(*params: Value) -> Deferred[str]:
        """Waits on a reactor timer, holding no thread."""
        seconds = busy_seconds(params, settings)
        return deferLater(reactor, seconds, lambda: WAITED_ON[("klein", "busy")])

    dispatcher = Dispatcher()
    for function in (echo, add, now):
        dispatcher.register_function(function)
    # Typeshed wants functions that return a value; this one returns a Deferred.
    dispatcher.register_function(busy)  # type: ignore[arg-type]
    return dispatcher


class XMLRPC(Routes):
    @cached_property
    def dispatcher(self) -> Dispatcher:
        return create_dispatcher(self.settings)

    @app.route("/xmlrpc", methods=["POST"])
    async def xmlrpc(self, request: Request) -> bytes:
        """One call: the body vetted and parsed, the function called and awaited."""
        content = request.content
        assert content is not None  # the Site read the body (capped) before this
        content.seek(0)
        body = content.read()
        check_size(len(body), self.settings)
        result: Value | Fault
        try:
            name, params = parse_call(body)
            result = self.dispatcher._dispatch(name, params)
            if isinstance(result, Deferred):
                result = await result
        except Fault as fault:
            result = fault
        request.setHeader(b"content-type", XML.encode())
        return answer(result)
