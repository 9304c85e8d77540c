"""Hosting your own apps: `twistbridge serve --wsgi/--asgi` beside the demo mounts or
alone, and the same through the Python API (`run(..., apps=[...])`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.content import NOT_FOUND
from core.mounts import MOUNT_NAMES
from tests.client import exchange, fetch, parse
from tests.servers import TWISTBRIDGE, run_server, serve_error, spawn

pytestmark = pytest.mark.long

WSGI = "tests.apps.echo:wsgi"
ASGI = "tests.apps.echo:asgi"


def seen(url: str) -> dict[str, object]:
    reply = fetch(url)
    assert reply.status == 200, reply.body
    result: dict[str, object] = json.loads(reply.body)
    return result


def test_apps_beside_the_demo(tmp_path: Path) -> None:
    args = ["--wsgi", f"/legacy={WSGI}", "--asgi", f"/api/v1={ASGI}"]
    with run_server(*args, "--wsgi-threads", "3", tmp_path=tmp_path) as server:
        legacy = seen(server.url + "/legacy/x?q=1")
        assert legacy["mount"] == "/legacy" and legacy["path"] == "/x"
        assert (legacy["client"], legacy["scheme"]) == ("127.0.0.1", "http")
        assert seen(server.url + "/api/v1/y")["mount"] == "/api/v1"
        assert seen(server.url + "/api/v1/y")["path"] == "/y"
        # Above a mount of two segments, and beside it: the contract's 404.
        for path in ("/api", "/api/v2", "/legacyx"):
            reply = fetch(server.url + path)
            assert (reply.status, reply.text) == (404, NOT_FOUND)
        assert fetch(server.base("native") + "/hello").text == "Hello, world!"
        # The edge's limits hold for every mount: a body over --max-body-size (1 MiB).
        for path in ("/legacy/x", "/api/v1/y"):
            head = f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n"
            big = parse(exchange(server.url, head.encode()))
            assert big.status == 413 and "over 1048576 bytes" in big.text
        document = json.loads(fetch(server.url + "/stats").body)
        mounts = document["mounts"]
        assert list(mounts) == [*MOUNT_NAMES, "legacy", "api/v1", "site"]
        # (A body refused at the edge never became a request of the mount.)
        assert mounts["legacy"]["requests"] == 1
        assert mounts["api/v1"]["requests"] == 2
        assert mounts["site"]["requests"] == 3  # the three 404s
        # A pool of its own per WSGI mount, each of --wsgi-threads.
        assert document["wsgi_pool"]["max"] == 6
        page = fetch(server.url + "/").text
        assert 'href="/legacy/"' in page and WSGI in page
        assert 'href="/api/v1/"' in page and ASGI in page
        assert 'id="mount-legacy"' in page and 'id="feature-echo"' in page


def test_no_demo_serves_only_the_apps(tmp_path: Path) -> None:
    args = ["--no-demo", "--factory", "--wsgi", "/app=tests.apps.echo:create_wsgi"]
    with run_server(*args, "--dashboard", "/", tmp_path=tmp_path) as server:
        assert server.uvicorn_url is None  # uvicorn serves the demo: none
        assert seen(server.url + "/app/")["mount"] == "/app"
        assert fetch(server.url + "/native/hello").status == 404
        document = json.loads(fetch(server.url + "/stats").body)
        assert list(document["mounts"]) == ["app", "site"]
        page = fetch(server.url + "/").text
        assert 'href="/app/"' in page and 'id="mount-app"' in page
        assert 'id="feature-echo"' not in page


def test_python_api(tmp_path: Path) -> None:
    script = """
import sys
from core.settings import Settings
from tests.apps import echo
from twisted_host.hosting import asgi, resource, wsgi
from twisted_host.run.main import run
from twisted_host.run.reactor import install_asyncio_reactor

install_asyncio_reactor()  # before twisted.web.static imports the reactor
from twisted.web.static import Data

apps = [wsgi("/w", echo.wsgi), asgi("/a", echo.asgi), resource("/r", Data(b"hi", "text/plain"))]
sys.exit(run(Settings(), port=0, demo=False, apps=apps))
"""
    with spawn([sys.executable, "-c", script], tmp_path=tmp_path) as server:
        assert seen(server.url + "/w/1")["mount"] == "/w"
        assert seen(server.url + "/a/2")["path"] == "/2"
        assert fetch(server.url + "/r").text == "hi"
        document = json.loads(fetch(server.url + "/stats").body)
        assert list(document["mounts"]) == ["w", "a", "r", "site"]


def test_help_lists_the_app_flags() -> None:
    result = subprocess.run(
        [*TWISTBRIDGE, "serve", "--help"], capture_output=True, text=True, timeout=60
    )
    out = " ".join(result.stdout.split())
    for flag in ("--wsgi PREFIX=MODULE:ATTR", "--asgi PREFIX=MODULE:ATTR",
                 "--resource PREFIX=MODULE:ATTR", "--factory",
                 "--app-dir", "--demo / --no-demo", "--forwarded-allow-ips"):  # fmt: skip
        assert flag in out
    assert "[default: 127.0.0.1,::1]" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wsgi", "/x"], "is not PREFIX=MODULE:ATTRIBUTE"),
        (["--wsgi", "x=mod:app"], "is not a path prefix"),
        (["--asgi", "/a.b=mod:app"], "letters, digits"),
        (["--asgi", "/stats=mod:app"], "/stats is the dashboard's"),
        (["--asgi", "/site=mod:app"], "/site is the Site's own"),
        (["--wsgi", "/x=tests.apps.nothing:app"], 'Could not import module "tests.apps.nothing"'),
        (["--wsgi", "/x=tests.apps.echo:nope"], 'Attribute "nope" not found'),
        (["--wsgi", "/x=tests.apps.echo"], "must be in format"),
        (["--wsgi", "/x=tests.apps.echo:json"], "is a module, not an app"),
        (["--resource", "/x=tests.apps.echo:wsgi"], "is a function, not a twisted.web IResource"),
        (["--factory", "--wsgi", "/x=tests.apps.echo:wsgi"], "could not be called as a factory"),
        (["--wsgi", f"/wsgi={WSGI}"], "/wsgi is taken by Flask"),
        (["--wsgi", f"/a={WSGI}", "--asgi", f"/a/={ASGI}"], "/a is taken by"),
        (["--no-demo"], "nothing to serve"),
    ],
)  # fmt: skip
def test_bad_apps_get_a_one_line_error(args: list[str], message: str) -> None:
    assert message in serve_error(*args)
