"""XML-RPC, the same on every mount: the methods, their arguments, their faults, and a
guarded parser for the call.

The chapter names XMLRPC among what `twisted.web` offers beyond its examples. The
mounts serve `echo(x)`, `add(a, b)`, `now()` and `busy(seconds)` each with its
framework's own machinery (`twisted.web.xmlrpc.XMLRPC`, the stdlib's
`SimpleXMLRPCDispatcher`); what a method takes, answers and refuses is decided here,
so that a fault is the same bytes on every mount.

Fault codes are those of the "specification for fault code interoperability" the
stdlib names (`xmlrpc.client.METHOD_NOT_FOUND` and its neighbours).

The stdlib's parser is expat, as `xmlrpc.client.loads` wires it: it expands internal
entities (a "billion laughs" call is stopped only by the amplification limit of
expat 2.4 and later), drops external ones silently, and has no limit on nesting,
while answering a deep value (`xmlrpc.client.dumps`) recurses until RecursionError.
`parse_call` refuses a document type declaration of any kind (no DTD, hence no
entities), nesting deeper than `MAX_DEPTH` and integers beyond XML-RPC's 32 bits,
before a method sees the call; the mounts call it first and let their framework
parse the vetted body as it always does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING
from xml.parsers import expat
from xmlrpc.client import (
    INVALID_METHOD_PARAMS,
    INVALID_XMLRPC,
    MAXINT,
    METHOD_NOT_FOUND,
    MININT,
    NOT_WELLFORMED_ERROR,
    Fault,
    Unmarshaller,
    dumps,
)
from xmlrpc.server import SimpleXMLRPCDispatcher

from core.busy import BadSeconds
from core.errors import ClientError
from core.settings import Settings

if TYPE_CHECKING:
    # What xmlrpc.client can marshal (typeshed's name; not a runtime one).
    from typing import TypeAlias
    from xmlrpc.client import _Marshallable

    Value: TypeAlias = _Marshallable

XML = "text/xml; charset=utf-8"

# Elements open at once: a methodCall, its params, param and value are 4; each nested
# array or struct adds 3 (array, data, value; struct, member, value). 100 leaves room
# for 30 levels of values, far more than a call needs and far below Python's
# recursion limit, which answering the value (`xmlrpc.client.dumps`) spends.
MAX_DEPTH = 100

NOT_XML = "The request is not well-formed XML-RPC."
NO_DOCTYPE = "A document type declaration is refused: no DTD, no entities."
TOO_DEEP = f"The call nests deeper than {MAX_DEPTH} elements."
NOT_A_CALL = "The request is not an XML-RPC methodCall."
BIG_INT = f"An integer is outside XML-RPC's range, {MININT} to {MAXINT}."


# name -> the parameters' names, for the fault that says how to call it.
METHODS: dict[str, tuple[str, ...]] = {
    "echo": ("x",),
    "add": ("a", "b"),
    "now": (),
    "busy": ("seconds",),
}


class _Refused(Exception):
    """Raised from an expat handler: stops the parse at once."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.faultString)
        self.fault = fault


def _refuse_doctype(*_: object) -> None:
    raise _Refused(Fault(INVALID_XMLRPC, NO_DOCTYPE))


def check_size(length: int, settings: Settings) -> None:
    """Refuses a call over `settings.xmlrpc_max_body` bytes with a 413, before it is
    read (`length` as declared) or parsed (as read)."""
    if length > settings.xmlrpc_max_body:
        limit = settings.xmlrpc_max_body
        raise ClientError(413, f"An XML-RPC call is over {limit} bytes.")


def _check_ints(value: object) -> None:
    # Breadth is bounded by the body's size and depth by MAX_DEPTH: a loop suffices.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, int) and not MININT <= item <= MAXINT:
            raise Fault(INVALID_METHOD_PARAMS, BIG_INT)
        if isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())


def parse_call(body: bytes) -> tuple[str, tuple[Value, ...]]:
    """The method's name and parameters of an XML-RPC call; raises `Fault` for a body
    that is not a call, or is one the mounts refuse (see the module's docstring)."""
    # Wired as xmlrpc.client.getparser() wires them, with the guards between.
    target = Unmarshaller()
    target.xml(None, None)  # type: ignore[arg-type]  # as getparser() does
    parser = expat.ParserCreate(None, None)
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise _Refused(Fault(INVALID_XMLRPC, TOO_DEEP))
        target.start(tag, attrs)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        target.end(tag)

    # Entities are declared only inside a DTD: refusing its start refuses them all.
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = target.data
    try:
        parser.Parse(body, True)
        params = target.close()
    except _Refused as refused:
        raise refused.fault from None
    except Exception:  # expat's errors, and the unmarshaller's on bad values
        raise Fault(NOT_WELLFORMED_ERROR, NOT_XML) from None
    name = target.getmethodname()
    if name is None:
        raise Fault(INVALID_XMLRPC, NOT_A_CALL)
    _check_ints(params)
    return name, params


def check_method(name: str) -> None:
    """Raises the fault for a method no mount serves."""
    if name not in METHODS:
        raise Fault(METHOD_NOT_FOUND, f"There is no method {name!r}.")


def arguments(name: str, params: tuple[Value, ...]) -> tuple[Value, ...]:
    """`params`, when there are as many as the method takes."""
    wanted = METHODS[name]
    if len(params) != len(wanted):
        signature = f"{name}({', '.join(wanted)})"
        raise Fault(
            INVALID_METHOD_PARAMS,
            f"{signature} takes {len(wanted)} arguments, {len(params)} given.",
        )
    return params


def _number(value: Value) -> float | int | None:
    # XML-RPC's boolean arrives as a Python bool, which is an int: not a number here.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def echo(*params: Value) -> Value:
    """The one argument, as it came."""
    (x,) = arguments("echo", params)
    return x


def add(*params: Value) -> int | float:
    """The sum of two numbers, when it fits in XML-RPC's types."""
    a, b = (_number(value) for value in arguments("add", params))
    if a is None or b is None:
        raise Fault(INVALID_METHOD_PARAMS, "add(a, b) takes two numbers.")
    total = a + b
    if isinstance(total, int) and not MININT <= total <= MAXINT:
        raise Fault(INVALID_METHOD_PARAMS, BIG_INT)
    if not math.isfinite(total):
        raise Fault(INVALID_METHOD_PARAMS, "The sum is not a finite number.")
    return total


def now(*params: Value) -> str:
    """The clock page's line (the book's example 4-5)."""
    arguments("now", params)
    return f"The local time is {time.ctime()}"


def busy_seconds(params: tuple[Value, ...], settings: Settings) -> float:
    """`busy`'s one argument: a number from 0 to the limit of the busy pages, which
    refuse the same `seconds` with the same words (a 400 there)."""
    (raw,) = arguments("busy", params)
    seconds = _number(raw)
    if seconds is None or not 0 <= seconds <= settings.busy_max:
        raise Fault(INVALID_METHOD_PARAMS, BadSeconds(settings.busy_max).detail)
    return float(seconds)


def answer(result: Value | Fault) -> bytes:
    """A method's result, or a `Fault`, as the body of the response: what
    `twisted.web.xmlrpc` and `SimpleXMLRPCDispatcher` write, byte for byte."""
    values = result if isinstance(result, Fault) else (result,)
    return dumps(values, methodresponse=True, allow_none=True).encode()


class Dispatcher(SimpleXMLRPCDispatcher):
    """The stdlib's dispatcher (WSGI and ASGI mounts), whose unknown method gets
    core's fault rather than its own (`Fault(1, '<class 'Exception'>:...')`)."""

    def __init__(self) -> None:
        # None travels (`<nil/>`), as on the native mount (`XMLRPC(allowNone=True)`).
        super().__init__(allow_none=True)

    def _dispatch(self, method: str, params: Iterable[Value]) -> Value:
        check_method(method)
        return super()._dispatch(method, params)
