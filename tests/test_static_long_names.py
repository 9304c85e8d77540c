"""Static paths the file system refuses ("File name too long"): 404 on every mount
and on uvicorn, as for any other name that is not there. Starlette let the OSError
out as a 500; the ASGI app answers for it, so it holds on any server."""

from __future__ import annotations

import pytest

from core.content import NOT_FOUND
from tests.client import fetch
from tests.conftest import MOUNTS
from tests.servers import Server

LONG = [
    "a/" * 3000,  # a path over PATH_MAX (4096)
    "a" * 300,  # one name over NAME_MAX (255)
    "images/" + "b" * 300 + "/x.txt",
]


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("path", LONG, ids=["deep", "long-name", "long-middle"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_name_too_long_is_404(
    server: Server, mount: str, path: str, method: str
) -> None:
    reply = fetch(f"{server.base(mount)}/static/{path}", method)
    assert reply.status == 404
    if method == "GET":
        assert reply.text == NOT_FOUND
