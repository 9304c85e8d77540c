"""permessage-deflate (RFC 7692) for the edge's WebSockets: wsproto's extension, with
the inflated size of a message bounded.

wsproto's `PerMessageDeflate` negotiates the parameters (`client_max_window_bits`,
`server_max_window_bits`, `*_no_context_takeover`) and compresses and inflates, but it
inflates a frame whole: a few KiB of deflate can inflate to GiBs before the message
size limit, which counts what comes out, is ever consulted. Here the inflater never
produces more than the limit allows plus one byte, and a message that would pass it
fails the connection with 1009, as an uncompressed one over the limit does. wsproto
also keeps "is this message compressed" in state that a control frame resets, so a
ping between the fragments of a compressed message (RFC 6455 allows it) made the rest
read as uncompressed (1007, uvicorn included): control frames leave it alone here. An offer
whose parameters are not numbers is declined rather than a traceback (wsproto parses
them outside its own error handling).
"""

from __future__ import annotations

from typing import Any

from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import (
    CloseReason,
    FrameDecoder,
    FrameProtocol,
    Opcode,
    RsvBits,
)


class _TooBig(Exception):
    """The message being inflated went over the limit."""


class _BoundedInflater:
    """A zlib decompressor that yields at most `budget` bytes a message."""

    def __init__(self, inflater: Any, budget: int) -> None:
        self._inflater = inflater  # zlib's Decompress (not importable as a type)
        self._budget = budget
        self.inflated = 0  # of the current message

    def decompress(self, data: bytes) -> bytes:
        # One byte more than the budget allows tells "over" from "exactly at".
        room = self._budget - self.inflated
        out: bytes = self._inflater.decompress(data, room + 1)
        self.inflated += len(out)
        if self.inflated > self._budget:
            raise _TooBig
        return out

    def flush(self) -> bytes:
        # Every input byte was consumed by a `decompress` that stayed within budget
        # (its output buffer was never full), so nothing is left to come out here.
        out: bytes = self._inflater.flush()
        self.inflated += len(out)
        if self.inflated > self._budget:
            raise _TooBig
        return out


class BoundedDeflate(PerMessageDeflate):
    """wsproto's permessage-deflate, inflating at most `max_size` bytes a message."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._control = False  # the frame being read is a control frame
        super().__init__()

    # wsproto assigns its decompressor to this attribute (None between messages with
    # client_no_context_takeover): each one is wrapped in the bound as it is made.
    @property  # type: ignore[override]
    def _decompressor(self) -> _BoundedInflater | None:
        return self._bounded

    @_decompressor.setter
    def _decompressor(self, inflater: Any) -> None:
        self._bounded = (
            None if inflater is None else _BoundedInflater(inflater, self.max_size)
        )

    def accept(self, offer: str) -> bool | str | None:
        try:
            return super().accept(offer)
        except ValueError:  # e.g. `client_max_window_bits=x`: not an offer we take
            return None

    def frame_inbound_header(
        self,
        proto: FrameDecoder | FrameProtocol,
        opcode: Opcode,
        rsv: RsvBits,
        payload_length: int,
    ) -> CloseReason | RsvBits:
        self._control = opcode.iscontrol()
        if self._control:  # never compressed, and no part of the message around it
            return (
                CloseReason.PROTOCOL_ERROR if rsv.rsv1 else RsvBits(True, False, False)
            )
        return super().frame_inbound_header(proto, opcode, rsv, payload_length)

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        if self._control:
            return data
        try:
            return super().frame_inbound_payload_data(proto, data)
        except _TooBig:
            return CloseReason.MESSAGE_TOO_BIG

    def frame_inbound_complete(
        self, proto: FrameDecoder | FrameProtocol, fin: bool
    ) -> bytes | CloseReason | None:
        if self._control:
            return None
        bounded = self._bounded
        try:
            tail = super().frame_inbound_complete(proto, fin)
        except _TooBig:
            return CloseReason.MESSAGE_TOO_BIG
        if fin and bounded is not None:
            bounded.inflated = 0  # the message is whole: the next has its budget
        return tail
