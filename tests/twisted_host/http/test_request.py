"""What the request adds to every answer, as uvicorn does: one `Date` (RFC 9110
section 6.6.1: an IMF-fixdate, the time the answer was made; made once a second
here, so at most a second behind) and one `Server`."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx

from core.mounts import UVICORN
from tests.servers import Server


def test_one_date_and_one_server_header(base: str, mount: str) -> None:
    before = int(time.time())
    answer = httpx.get(f"{base}/hello")
    after = time.time()
    dates = answer.headers.get_list("date")
    assert len(dates) == 1 and dates[0].endswith(" GMT")
    assert before - 1 <= parsedate_to_datetime(dates[0]).timestamp() <= after
    servers = answer.headers.get_list("server")
    assert servers == (["uvicorn"] if mount == UVICORN else [servers[0]])
    if mount != UVICORN:
        assert servers[0].startswith("TwistedWeb/")


def test_the_date_moves_on(server: Server) -> None:
    url = server.base("native") + "/hello"
    first = httpx.get(url).headers["date"]
    time.sleep(1.1)
    assert httpx.get(url).headers["date"] != first
