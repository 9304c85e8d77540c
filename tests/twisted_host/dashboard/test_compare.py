"""`/compare/<feature>`: a highlighted implementation per mount and feature, over
HTTP."""

from __future__ import annotations

import html
import re

import pytest

from core.content import NOT_FOUND
from core.contract import FEATURES, FEATURES_BY_NAME, HTML
from core.mounts import MOUNT_NAMES
from tests.client import fetch
from tests.servers import Server

SIDES = MOUNT_NAMES
_SIDE = re.compile(r'<section class="side (\w+)" id="side-\1">(.*?)</section>', re.S)
_BLOCK = re.compile(r'<div class="highlight"><pre>(.*?)</pre></div>', re.S)
_TAG = re.compile(r"<[^>]+>")
_TOKEN = re.compile(r'<span class="(\w+)">')


def sides(page: str) -> dict[str, list[str]]:
    """Each side's code blocks, as the highlighted HTML inside their <pre>."""
    return {name: _BLOCK.findall(body) for name, body in _SIDE.findall(page)}


def text(block: str) -> str:
    return html.unescape(_TAG.sub("", block))


@pytest.mark.parametrize("name", [feature.name for feature in FEATURES])
def test_every_feature_has_a_highlighted_implementation_per_mount(
    server: Server, name: str
) -> None:
    reply = fetch(f"{server.url}/compare/{name}")
    assert (reply.status, reply.header("content-type")) == (200, HTML)
    found = sides(reply.text)
    assert list(found) == list(SIDES)
    for side, blocks in found.items():
        assert blocks, side
        for block in blocks:
            assert text(block).strip(), side
            # Highlighted: Pygments has marked several kinds of token up.
            assert len(set(_TOKEN.findall(block))) >= 3, (side, block)
        assert any('<span class="k">' in block for block in blocks), side
    assert '<ul class="notes">' in reply.text
    assert ".highlight .k {" in reply.text  # the style sheet is inline, no CDN


# Lines that carry each lesson, as the running modules have them.
LESSONS = [
    (
        "echo",
        "request.requestHeaders.getAllRawHeaders()",
        'environ["SCRIPT_NAME"] + environ["PATH_INFO"]',
        'scope.get("raw_path")',
        "request.requestHeaders.getAllRawHeaders()",
    ),
    (
        "form",
        'parse_form(request.getHeader(b"content-type") or b"", body)',
        "request.form.get(FORM_FIELD)",
        "request.stream()",
        "FormDataParser().parse(body, mimetype, None, options)",
    ),
    (
        "busy",
        "return NOT_DONE_YET",
        "time.sleep(seconds)",
        "await asyncio.sleep(seconds)",
        'return deferLater(reactor, seconds, self.done, request, "busy")',
    ),
    (
        "clock",
        "isLeaf = True",
        '"/clock/<path:rest>"',
        '"/clock/{rest:path}"',
        '@app.route("/clock", branch=True, methods=["GET"])',
    ),
    (
        "busy-thread",
        "deferToThread(time.sleep, seconds)",
        "_workers.submit(time.sleep, seconds).result()",
        "await run_in_threadpool(time.sleep, seconds)",
        "await deferToThread(time.sleep, seconds)",
    ),
    (
        "home",
        'root.putChild(b"about", About())',
        "app.register_blueprint(pages.bp)",
        'Route("/about", about)',
        "class Features(Pages, Static, Dynamic, Form, Busy, Live, Forward, XMLRPC):",
    ),
]


@pytest.mark.parametrize(("name", "native", "wsgi", "asgi", "klein"), LESSONS)
def test_the_source_is_the_running_code(
    server: Server, name: str, native: str, wsgi: str, asgi: str, klein: str
) -> None:
    found = sides(fetch(f"{server.url}/compare/{name}").text)
    for side, line in zip(SIDES, (native, wsgi, asgi, klein), strict=True):
        assert any(line in text(block) for block in found[side]), (side, line)


def test_echo_notes_say_what_each_interface_sees(server: Server) -> None:
    page = fetch(f"{server.url}/compare/echo").text
    for fragment in (
        "<code>request.uri</code>",
        "<code>PATH_INFO</code>",
        "<code>HTTP_*</code>",
        "<code>raw_path</code>",
        "<code>headers</code>",
    ):
        assert fragment in page


def test_try_links_on_every_mount(server: Server) -> None:
    example = FEATURES_BY_NAME["calendar"].example
    page = fetch(f"{server.url}/compare/calendar").text
    for mount in SIDES:
        assert f'href="/{mount}{example}"' in page
    assert f'href="{server.base("uvicorn")}{example}"' in page


@pytest.mark.parametrize(
    "path", ["/compare/nope", "/compare/echo/x", "/compare/ECHO", "/compare/%FF"]
)
def test_unknown_feature_is_the_contract_404(server: Server, path: str) -> None:
    reply = fetch(server.url + path)
    assert (reply.status, reply.header("content-type"), reply.text) == (
        404,
        HTML,
        NOT_FOUND,
    )


def test_compare_index(server: Server) -> None:
    for path in ("/compare", "/compare/"):
        reply = fetch(server.url + path)
        assert (reply.status, reply.header("content-type")) == (200, HTML)
        for feature in FEATURES:
            assert f'<a href="/compare/{feature.name}">{feature.name}</a>' in reply.text
        assert "<code>return NOT_DONE_YET</code>" in reply.text


def test_index_tells_how_to_move_an_app(server: Server) -> None:
    page = fetch(f"{server.url}/compare/").text
    section = page.split('<h2 id="moving">', 1)[1]
    assert section.startswith("Moving an existing Flask, Django or FastAPI app")
    assert (
        "<code>twistbridge serve --no-demo --wsgi /site=mysite.wsgi:application</code>"
        in section
    )
    assert section.count('<div class="highlight"><pre>') == 3  # the Python examples
    assert "the strangler fig" in section
