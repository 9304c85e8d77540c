"""wrk as a second engine: its figures come back as a LoadResult."""

from __future__ import annotations

import shutil

import pytest

from bench.load.external import run_wrk
from bench.load.spec import LoadSpec
from tests.servers import DEFAULT_PARSER_ONLY, Server

needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None,
    reason="wrk is not installed (Debian package wrk; scripts/system-deps.sh installs it)",
)


@DEFAULT_PARSER_ONLY
@needs_wrk
def test_wrk_result(server: Server) -> None:
    spec = LoadSpec(url=server.base("native") + "/hello", concurrency=2,
                    duration=1, warmup=0)  # fmt: skip
    result = run_wrk(spec)
    total = result.total()
    assert result.engine == "wrk"
    assert total.ok > 0
    # wrk's histogram is not cut at the same instant as its request count.
    assert total.latency.count > 0
    assert total.errors == {}


@DEFAULT_PARSER_ONLY
@needs_wrk
def test_wrk_counts_non_2xx(server: Server) -> None:
    spec = LoadSpec(url=server.base("native") + "/no-such-page", concurrency=2,
                    duration=1, warmup=0)  # fmt: skip
    total = run_wrk(spec).total()
    assert total.ok == 0
    assert total.errors["http_4xx_5xx"] > 0
