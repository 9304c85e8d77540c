"""The `Range` header of a static file (RFC 9110 section 14), read the same on every
mount before the framework serves the file: Twisted's `static.File` answered some
valid requests with a 500 (a suffix longer than the file, a suffix too big for a C
long, bytes beyond ASCII) and Werkzeug with a 416 where the RFC asks for the whole
file. Each mount hands its framework the canonical form this returns instead.
"""

from __future__ import annotations

import re

from core.errors import ClientError

MALFORMED = "Malformed range header."
_RANGE_SET = re.compile(r"[0-9, \t-]*")


def canonical_range(header: str, size: int) -> str | None:
    """What the framework should see of `header` for a file of `size` bytes.

    None: serve the whole file with 200 (a unit other than bytes, which RFC 9110
    section 14.2 says MUST be ignored; several ranges, answered with the whole file
    once instead of a multipart body that could repeat it, and read no further).
    Otherwise one range `bytes=first-last` within the file, or `bytes=<size>-` for a
    range that cannot be satisfied (416). A suffix longer than the file means the whole file (section
    14.1.1). Raises `ClientError` 400 for a header that is not a range-set, as
    uvicorn (Starlette) answers. Linear in the header's length.
    """
    unit, equals, ranges = header.partition("=")
    if not equals:
        raise ClientError(400, MALFORMED)
    if unit.strip(" \t").lower() != "bytes":
        return None
    # A list may have empty elements ("1-2, ,"); with them trimmed, a comma left
    # means several ranges, which are not read one by one (there may be thousands).
    specs = ranges.strip(" \t,")
    if not specs:
        raise ClientError(400, MALFORMED)
    if "," in specs:
        if _RANGE_SET.fullmatch(ranges) is None:
            raise ClientError(400, MALFORMED)
        return None
    first, last = _parse(specs)
    if first is None:  # a suffix: the last `last` bytes
        assert last is not None
        if last == 0:
            return f"bytes={size}-"
        if size == 0:  # satisfiable, but no byte to name: the whole (empty) file
            return None
        first, last = max(size - last, 0), size - 1
    elif first >= size:
        return f"bytes={size}-"
    last = size - 1 if last is None else min(last, size - 1)
    return f"bytes={first}-{last}"


def _parse(spec: str) -> tuple[int | None, int | None]:
    """(first, last) of one range-spec; (None, n) for a suffix of n bytes."""
    first, dash, last = spec.partition("-")
    first, last = first.strip(" \t"), last.strip(" \t")
    if not dash or not _digits(first, last) or not (first or last):
        raise ClientError(400, MALFORMED)
    if not first:
        return None, _number(last)
    if last and _number(last) < _number(first):
        raise ClientError(400, MALFORMED)
    return _number(first), _number(last) if last else None


def _number(digits: str) -> int:
    """Its value, or past any file's size: int() refuses over 4300 digits."""
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 18 else 10**18


def _digits(*parts: str) -> bool:
    """Each part empty or ASCII digits only (str.isdigit takes other scripts' too)."""
    return all(part.isascii() and (part.isdigit() or not part) for part in parts)
