"""An app at `/` on every interface, the most specific prefix winning, the dashboard
and the ops endpoints where `--dashboard`, `--ops-prefix` and `--admin-port` put
them, and `--root-path` held to uvicorn's."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

from core.content import NOT_FOUND
from tests.client import fetch
from tests.servers import reference, run_server, serve_error

pytestmark = pytest.mark.long

ECHO = "tests.apps.echo"
ROOT_APPS = {
    "wsgi": ["--wsgi", f"/={ECHO}:wsgi"],
    "asgi": ["--asgi", f"/={ECHO}:asgi"],
    "resource": ["--resource", f"/={ECHO}:resource"],
    "resource-factory": ["--factory", "--resource", f"/={ECHO}:Seen"],
}


def seen(url: str) -> dict[str, object]:
    reply = fetch(url)
    assert reply.status == 200, (url, reply.status, reply.text)
    result: dict[str, object] = json.loads(reply.body)
    return result


@pytest.mark.parametrize("interface", list(ROOT_APPS))
def test_an_app_at_the_root(tmp_path: Path, interface: str) -> None:
    args = ["--no-demo", *ROOT_APPS[interface]]
    with run_server(*args, tmp_path=tmp_path) as server:
        top = seen(server.url + "/")
        assert (top["mount"], top["path"]) == ("", "/")
        deep = seen(server.url + "/a/b")
        assert (deep["mount"], deep["path"]) == ("", "/a/b")
        # No dashboard without the demo: its paths are the app's.
        assert seen(server.url + "/stats")["path"] == "/stats"
        assert seen(server.url + "/compare/")["path"] == "/compare/"
        # The ops endpoints stay on the public port unless --admin-port moves them.
        assert fetch(server.url + "/healthz").text == "ok\n"


def test_the_most_specific_prefix_wins(tmp_path: Path) -> None:
    args = ["--no-demo", "--asgi", f"/={ECHO}:asgi", "--wsgi", f"/api={ECHO}:wsgi"]
    args += ["--resource", f"/api/v1={ECHO}:resource"]
    with run_server(*args, tmp_path=tmp_path) as server:
        assert seen(server.url + "/apix")["mount"] == ""
        assert seen(server.url + "/api")["mount"] == "/api"
        assert seen(server.url + "/api/v2/x")["mount"] == "/api"
        inner = seen(server.url + "/api/v1/x")
        assert (inner["mount"], inner["path"]) == ("/api/v1", "/x")
        assert seen(server.url + "/stats")["path"] == "/stats"  # no dashboard


def test_the_admin_listener_serves_what_the_public_port_does_not(
    tmp_path: Path,
) -> None:
    args = ["--no-demo", "--asgi", f"/={ECHO}:asgi", "--dashboard", "/"]
    args += ["--admin-port", "0"]
    with run_server(*args, tmp_path=tmp_path) as server:
        admin = server.admin_url
        assert admin is not None
        for path in ("/healthz", "/readyz", "/metrics", "/stats", "/"):
            assert seen(server.url + path)["path"] == path  # the app's, all of them
        assert fetch(admin + "/healthz").text == "ok\n"
        assert fetch(admin + "/readyz").text == "ready\n"
        assert "twistbridge_requests" in fetch(admin + "/metrics").text
        page = fetch(admin + "/")
        assert page.status == 200 and 'id="mount-"' in page.text
        figures = json.loads(fetch(admin + "/stats").body)
        assert list(figures["mounts"]) == ["", "site"]
        assert figures["mounts"][""]["requests"] >= 5  # the app's; none of admin's
        # The app is not on the admin port.
        assert fetch(admin + "/anything").status == 404


def test_the_dashboard_and_the_ops_endpoints_move(tmp_path: Path) -> None:
    args = ["--dashboard", "/dash", "--ops-prefix", "/ops", "--asgi", f"/={ECHO}:asgi"]
    with run_server(*args, tmp_path=tmp_path) as server:
        page = fetch(server.url + "/dash/")
        assert page.status == 200
        assert 'href="/dash/compare/' in page.text
        assert 'fetch("/dash/stats"' in page.text and '"/dash/live"' in page.text
        assert fetch(server.url + "/dash").status == 200
        assert json.loads(fetch(server.url + "/dash/stats").body)["mounts"]
        assert fetch(server.url + "/dash/compare/echo").status == 200
        assert fetch(server.url + "/dash/race").status == 200
        assert fetch(server.url + "/dash/nothing").status == 404
        assert fetch(server.url + "/ops/healthz").text == "ok\n"
        # The Site's own pages count as "site", not as the app at /.
        figures = json.loads(fetch(server.url + "/dash/stats").body)["mounts"]
        assert figures["site"]["requests"] >= 7 and figures[""]["requests"] == 0
        # What the dashboard left is the root app's; the demo stays where it was.
        assert seen(server.url + "/stats")["path"] == "/stats"
        assert seen(server.url + "/healthz")["path"] == "/healthz"
        assert fetch(server.base("native") + "/hello").text == "Hello, world!"


def test_the_demo_keeps_its_urls_without_a_root_app(tmp_path: Path) -> None:
    with run_server("--uvicorn-port", "0", tmp_path=tmp_path) as server:
        for path in ("/", "/stats", "/compare/", "/race", "/healthz", "/metrics"):
            assert fetch(server.url + path).status == 200, path
        reply = fetch(server.url + "/nothing")
        assert (reply.status, reply.text) == (404, NOT_FOUND)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--asgi", f"/stats={ECHO}:asgi"], "/stats is the dashboard's"),
        (["--asgi", f"/healthz={ECHO}:asgi"], "/healthz is an ops endpoint's"),
        (["--dashboard", "/d", "--no-dashboard"], "pick one"),
        (["--dashboard", "d"], "is not a path prefix"),
    ],
)
def test_site_pages_are_no_room_for_an_app(args: list[str], message: str) -> None:
    assert message in serve_error(*args)


@pytest.mark.parametrize("mount", ["/", "/api"])
def test_root_path_as_uvicorn_gives_it(tmp_path: Path, mount: str) -> None:
    """Behind a proxy serving us under /proxied: `root_path`, `path` and `raw_path`
    start with it, as under `uvicorn --root-path` (there at `/` only)."""
    app = f"{ECHO}:asgi_scope"
    uvicorn = [sys.executable, "-m", "uvicorn", app, "--port", "{port}"]
    uvicorn += ["--root-path", "/proxied", "--lifespan", "off"]
    args = ["--no-demo", "--asgi", f"{mount}={app}", "--root-path", "/proxied/"]
    with (
        reference(uvicorn, tmp_path=tmp_path) as theirs,
        run_server(*args, tmp_path=tmp_path) as ours,
    ):
        at = "" if mount == "/" else mount
        mine = seen(ours.url + at + "/x/y%20z")
        reference_answer = seen(theirs.url + "/x/y%20z")
        assert mine == {
            key: value.replace("/proxied", "/proxied" + at, 1)
            for key, value in reference_answer.items()
            if isinstance(value, str)
        }
        assert mine["root_path"] == "/proxied" + at


def test_root_path_starts_script_name(tmp_path: Path) -> None:
    args = ["--no-demo", "--wsgi", f"/app={ECHO}:wsgi", "--root-path", "/proxied"]
    with run_server(*args, tmp_path=tmp_path) as server:
        found = seen(server.url + "/app/x")
        assert (found["mount"], found["path"]) == ("/proxied/app", "/x")


def test_the_admin_listener_with_workers(tmp_path: Path) -> None:
    args = ["--no-demo", "--asgi", f"/={ECHO}:asgi", "--workers", "2"]
    args += ["--admin-port", "0", "--no-access-log"]
    with run_server(*args, tmp_path=tmp_path) as server:
        admin = server.admin_url
        assert admin is not None
        assert seen(server.url + "/healthz")["path"] == "/healthz"
        for _ in range(6):  # whichever worker accepts it
            assert fetch(admin + "/readyz").text == "ready\n"
        # One scrape, whichever worker answers, sums them all.
        for _ in range(4):
            seen(server.url + "/x")
        time.sleep(1.5)  # the workers hand their counts over once a second
        scrape = fetch(admin + "/metrics").text
        counted = re.findall(
            r'twistbridge_requests_total\{[^}]*mount=""[^}]*\} (\S+)', scrape
        )
        assert sum(float(n) for n in counted) >= 5, scrape
