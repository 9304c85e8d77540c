"""Fixtures for the wire: test certificates, and one `twistbridge serve` over HTTPS
(and HTTP/2) shared by the TLS and HTTP/2 tests (the flood tests start their own, so
that what a flood leaves behind never meets another test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import Certificates, Server, make_certificates, run_server


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


def serve_https(
    certificates: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`twistbridge serve` over HTTPS with the test certificates, until the test ends."""
    with run_server(
        "--no-access-log",
        *certificates.serve_args(),
        tmp_path=tmp_path_factory.mktemp("https"),
        context=certificates.client_context(),
        uvicorn=True,
    ) as server:
        yield server


https_server = pytest.fixture(scope="session")(serve_https)
