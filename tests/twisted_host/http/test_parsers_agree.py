"""Where Twisted's parser and llhttp disagreed, one behaviour on both, judged by
uvicorn beside the Site (llhttp underneath it too): a folded header line (obs-fold,
RFC 9112 section 5.2: a server MAY reject it with 400) and a trailer section carrying
a framing field (RFC 9110 section 6.5.1: a sender MUST NOT generate one) are refused
with 400, and the connection closes. Twisted's parser joined the folded line, and
answered the chunked body with its trailer as if it were sound (the connection kept).
h11, the other judge, joins obs-fold and reads no trailer field: it accepts both."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from core.content import error_page
from core.mounts import MOUNT_NAMES
from tests.client import parse
from tests.servers import Server

CHUNKED = (
    b"POST {p}/form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    b"e\r\nform-field=abc\r\n0\r\n"
)
CASES = {
    "obs-fold": b"GET {p}/hello HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    "obs-fold by a tab": b"GET {p}/hello HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n",
    "Content-Length in a trailer": CHUNKED + b"Content-Length: 5\r\n\r\n",
    "Transfer-Encoding in a trailer": CHUNKED + b"Transfer-Encoding: chunked\r\n\r\n",
}
DETAILS = {
    "obs-fold": "A header line is folded (obs-fold).",
    "obs-fold by a tab": "A header line is folded (obs-fold).",
    "Content-Length in a trailer": "A trailer carries a framing field.",
    "Transfer-Encoding in a trailer": "A trailer carries a framing field.",
}


def answer_and_close(base: str, raw: bytes) -> tuple[bytes, bool]:
    """The answer to `raw` at the mount `base`, and whether the server then closed
    (a second request on the connection would be answered otherwise)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(raw.replace(b"{p}", parts.path.encode()))
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            return answer, False
        return answer, True


@pytest.mark.parametrize("mount", MOUNT_NAMES)
@pytest.mark.parametrize("case", list(CASES))
def test_refused_as_uvicorn_refuses(server: Server, mount: str, case: str) -> None:
    theirs, their_close = answer_and_close(server.base("uvicorn"), CASES[case])
    ours, our_close = answer_and_close(server.base(mount), CASES[case])
    assert (parse(theirs).status, their_close) == (400, True)
    assert (parse(ours).status, our_close) == (400, True)
    assert parse(ours).text == error_page(400, DETAILS[case])
    assert "Traceback" not in server.output()
