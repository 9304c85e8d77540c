"""Fixtures: a real `twistbridge serve` on ephemeral ports, and the `mount` parameter
every contract test runs over (like uvicorn's `http_protocol_cls`): each mount of the
registry (`core.mounts`), and uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.mounts import BY_NAME, TARGETS, UVICORN, UVICORN_PREFIX
from tests.servers import Server, run_server

MOUNTS = list(TARGETS)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Every request to /wsgi passes the stdlib's PEP 3333 checker (test_contract).
    tmp = tmp_path_factory.mktemp("server")
    with run_server("--no-access-log", "--wsgi-validate", tmp_path=tmp) as s:
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
