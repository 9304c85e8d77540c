"""XML-RPC: the stdlib's `SimpleXMLRPCDispatcher` in a Flask view.

The dispatcher parses the call, finds the function and writes the answer
(`_marshaled_dispatch`, what the stdlib's own servers call); core decides what a
method takes and refuses (`core.xmlrpc`), and vets the body first. `busy` sleeps on
the pool thread: WSGI cannot wait without holding one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from xmlrpc.client import Fault

from flask import Blueprint, Response, current_app, request

from core.busy import WAITED_ON
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

bp = Blueprint("xmlrpc", __name__)

if TYPE_CHECKING:
    from core.xmlrpc import Value


def busy(*params: Value) -> str:
    """Sleeps on the pool thread, holding it."""
    seconds = busy_seconds(params, current_app.config["TWISTBRIDGE"])
    time.sleep(seconds)
    return WAITED_ON[("wsgi", "busy")]


def create_dispatcher() -> Dispatcher:
    """The procedures, registered by name."""
    dispatcher = Dispatcher()
    for function in (echo, add, now, busy):
        dispatcher.register_function(function)
    return dispatcher


dispatcher = create_dispatcher()


@bp.post("/xmlrpc")
def xmlrpc() -> Response:
    """One call: the body vetted, then dispatched."""
    settings = current_app.config["TWISTBRIDGE"]
    check_size(request.content_length or 0, settings)
    body = request.get_data()
    check_size(len(body), settings)
    try:
        parse_call(body)
    except Fault as refused:
        return Response(answer(refused), content_type=XML)
    return Response(dispatcher._marshaled_dispatch(body), content_type=XML)
