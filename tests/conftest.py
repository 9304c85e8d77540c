"""Fixtures: a real `twistbridge serve` on ephemeral ports, the `parser` it runs
(httptools and Twisted's own, like uvicorn's `http_protocol_cls`), and the `mount`
parameter every contract test runs over: each mount of the registry (`core.mounts`),
and uvicorn."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from functools import partial

import pytest

from core.mounts import BY_NAME, TARGETS, UVICORN, UVICORN_PREFIX
from tests.servers import PARSERS, Server, StartedOnce, run_server

MOUNTS = list(TARGETS)


@pytest.fixture(scope="session", params=PARSERS)
def parser(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _session_server(
    factory: pytest.TempPathFactory, parser: str
) -> AbstractContextManager[Server]:
    # Every request to /wsgi passes the stdlib's PEP 3333 checker (test_contract).
    argv = ["--no-access-log", "--wsgi-validate", "--http", parser]
    tmp = factory.mktemp(f"server-{parser}")
    return run_server(*argv, tmp_path=tmp, uvicorn=True)


@pytest.fixture(scope="session")
def _parser_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StartedOnce]:
    """One session server per parser, kept to the end of the session (some thirty
    starts per run otherwise, instead of two per worker)."""
    with ExitStack() as stack:
        yield StartedOnce(stack, partial(_session_server, tmp_path_factory))


@pytest.fixture(scope="session")
def server(_parser_servers: StartedOnce, parser: str) -> Server:
    return _parser_servers.get(parser)


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked `long` first, then the others by how many tests they hold.
    `--dist loadscope` hands modules out in the order it is given them (make passes
    `--no-loadscope-reorder`, so that it keeps this one): by the count of tests
    alone, a module of a few tests that wait for seconds each (drains, restarts, a
    whole `compare` run) came last and left one worker running alone at the end.
    Tests keep their order inside a module."""
    module = {id(item): item.nodeid.split("::")[0] for item in items}
    counts = Counter(module.values())
    first = {name: index for index, name in reversed(list(enumerate(module.values())))}
    long = {module[id(item)] for item in items if item.get_closest_marker("long")}

    def order(item: pytest.Item) -> tuple[bool, int, int]:
        name = module[id(item)]
        return name not in long, -counts[name], first[name]

    items.sort(key=order)
