"""Fixtures: a real `twistbridge serve` on ephemeral ports, the `parser` it runs
(httptools and Twisted's own, like uvicorn's `http_protocol_cls`), and the `mount`
parameter every contract test runs over: each mount of the registry (`core.mounts`),
and uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.mounts import BY_NAME, TARGETS, UVICORN, UVICORN_PREFIX
from tests.servers import PARSERS, Server, run_server

MOUNTS = list(TARGETS)


@pytest.fixture(scope="session", params=PARSERS)
def parser(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, parser: str) -> Iterator[Server]:
    # Every request to /wsgi passes the stdlib's PEP 3333 checker (test_contract).
    tmp = tmp_path_factory.mktemp(f"server-{parser}")
    argv = ["--no-access-log", "--wsgi-validate", "--http", parser]
    with run_server(*argv, tmp_path=tmp) as s:
        yield s


@pytest.fixture(params=MOUNTS)
def mount(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def base(server: Server, mount: str) -> str:
    return server.base(mount)


@pytest.fixture
def prefix(mount: str) -> str:
    """The mount's path prefix as the client sees it (uvicorn serves /asgi too)."""
    return UVICORN_PREFIX if mount == UVICORN else BY_NAME[mount].prefix
