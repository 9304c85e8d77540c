"""XML-RPC: the stdlib's `SimpleXMLRPCDispatcher` in a Starlette endpoint.

The dispatcher's own `_marshaled_dispatch` calls the function and marshals what it
returns at once, so a coroutine could not wait in it: the endpoint parses the call
(core's guarded parser), has the dispatcher find and call the function, awaits what a
coroutine function returns, and marshals the answer as the dispatcher would. `busy`
awaits `asyncio.sleep`, holding no thread.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING
from xmlrpc.client import Fault

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from core.busy import WAITED_ON
from core.errors import ClientError
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

if TYPE_CHECKING:
    from core.xmlrpc import Value


async def _body(request: Request, settings: Settings) -> bytes:
    """The body, refused with 413 as soon as it is over the limit."""
    declared = request.headers.get("content-length", "")
    check_size(int(declared) if declared.isdigit() else 0, settings)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            check_size(size, settings)
            chunks.append(chunk)
    except ClientDisconnect:  # gone mid-body, or its framing refused by the server
        raise ClientError(400, "The body did not arrive whole.") from None
    return b"".join(chunks)


def create_routes(settings: Settings) -> list[Route]:
    """The endpoint, with a dispatcher whose `busy` knows the limit of `seconds`."""

    async def busy(*params: Value) -> str:
        """Waits on an event-loop timer, holding no thread."""
        await asyncio.sleep(busy_seconds(params, settings))
        return WAITED_ON[("asgi", "busy")]

    dispatcher = Dispatcher()
    for function in (echo, add, now):
        dispatcher.register_function(function)
    # Typeshed wants functions that return a value; this one returns an awaitable.
    dispatcher.register_function(busy)  # type: ignore[arg-type]

    async def xmlrpc(request: Request) -> Response:
        """One call: the body vetted and parsed, the function called and awaited."""
        body = await _body(request, settings)
        result: Value | Fault
        try:
            name, params = parse_call(body)
            result = dispatcher._dispatch(name, params)
            if inspect.isawaitable(result):
                result = await result
        except Fault as fault:
            result = fault
        return Response(answer(result), media_type=XML)

    return [Route("/xmlrpc", xmlrpc, methods=["POST"])]
