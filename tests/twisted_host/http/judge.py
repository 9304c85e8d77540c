"""h11, the strict HTTP/1.1 parser, as the judge of raw requests: what it makes of the
bytes a test is about to send to the Site (the edge tests compare the two verdicts)."""

from __future__ import annotations

from dataclasses import dataclass

import h11


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    target: bytes = b""
    body: bytes = b""
    why: str = ""


def h11_verdict(raw: bytes) -> Verdict:
    """h11's reading of the first request in `raw`: refused (and why), or accepted
    with its target and decoded body. A request h11 waits on more bytes for counts as
    refused: the tests only send complete requests."""
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=64 * 1024)
    conn.receive_data(raw)
    target = b""
    body = b""
    try:
        while True:
            event = conn.next_event()
            if isinstance(event, h11.Request):
                target = event.target
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return Verdict(True, target, body)
            elif event is h11.NEED_DATA:
                return Verdict(False, why="incomplete")
    except h11.RemoteProtocolError as error:
        return Verdict(False, why=str(error))
