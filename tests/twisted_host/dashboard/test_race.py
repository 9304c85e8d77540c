"""`/race` over plain HTTP: the caps, one race at a time, the event stream as
`EventSource` reads it, the permalinks. A server of this module's own (races are one
at a time per server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.client import Reply, fetch
from tests.servers import Server, run_server

pytestmark = pytest.mark.long

TARGETS = ["native", "wsgi", "asgi", "klein", "uvicorn"]


@pytest.fixture(scope="module")
def racer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("race-server")
    caps = ["--race-max-requests", "20", "--race-max-seconds", "2"]
    pool = ["--wsgi-threads", "2", "--wsgi-queue", "1"]
    with run_server("--no-access-log", *pool, *caps, tmp_path=tmp, uvicorn=True) as s:
        yield s


def start(
    server: Server, headers: dict[str, str] | None = None, **fields: Any
) -> Reply:
    body = urlencode(fields).encode()
    form = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
    return fetch(server.url + "/race/start", "POST", headers=form, body=body)


def events(
    server: Server, number: int, last: int | None = None
) -> list[dict[str, Any]]:
    """Race `number`'s stream, read to its end (the server closes it when the race is
    over), parsed as EventSource would: `id`, `event` and `data` lines per frame."""
    headers = {"accept": "text/event-stream"}
    if last is not None:
        headers["last-event-id"] = str(last)
    reply = fetch(f"{server.url}/race/{number}/events", headers=headers, timeout=60)
    assert reply.status == 200
    assert reply.header("content-type") == "text/event-stream; charset=utf-8"
    parsed = []
    for frame in reply.text.split("\n\n"):
        if not frame:
            continue
        fields = dict(line.split(": ", 1) for line in frame.split("\n"))
        data = json.loads(fields["data"])
        assert fields["event"] == data["type"] and int(fields["id"]) == data["id"]
        parsed.append(data)
    return parsed


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"requests": 21}, "requests must be a whole number from 1 to 20"),
        ({"requests": 0}, "requests must be a whole number from 1 to 20"),
        ({"requests": "1e3"}, "requests must be a whole number from 1 to 20"),
        ({"seconds": 2.5}, "seconds must be a number from 0 to 2"),
        ({"seconds": "nan"}, "seconds must be a number from 0 to 2"),
        ({"feature": "form-post"}, "no feature 'form-post' to race"),
    ],
)
def test_over_the_caps_is_400_and_starts_nothing(
    racer: Server, fields: dict[str, Any], detail: str
) -> None:
    reply = start(racer, **{"feature": "hello", "requests": 2, **fields})
    assert reply.status == 400
    assert json.loads(reply.body) == {"error": detail}


def test_a_race_streams_every_moment_and_a_second_start_is_409(racer: Server) -> None:
    reply = start(racer, feature="busy", requests=3, seconds="0.5")
    assert reply.status == 202, reply.text
    links = json.loads(reply.body)
    number = links["number"]
    assert links["events"] == f"/race/{number}/events"

    busy = start(racer, feature="hello", requests=1)
    assert busy.status == 409
    assert json.loads(busy.body)["running"]["number"] == number
    assert fetch(f"{racer.url}/race/{number}.json").status == 409  # not over yet

    stream = events(racer, number)
    assert [e["id"] for e in stream] == list(range(len(stream)))
    assert stream[0]["type"] == "race"
    assert [t["name"] for t in stream[0]["targets"]] == TARGETS
    assert stream[-1]["type"] == "done"
    assert [e["mount"] for e in stream if e["type"] == "leg"] == TARGETS
    for mount in TARGETS:
        mine = [e for e in stream if e.get("mount") == mount]
        # The mounts run one after another: a leg's events are contiguous.
        ids = [e["id"] for e in mine]
        assert ids == list(range(ids[0], ids[0] + len(ids)))
        assert mine[0]["type"] == "leg" and mine[-1]["type"] == "leg-end"
        for i in range(3):
            moments = {
                e["phase"]: e for e in mine if e["type"] == "request" and e["i"] == i
            }
            assert list(moments) == ["start", "first", "end"]
            assert moments["end"]["status"] == 200
            assert moments["start"]["t"] <= moments["first"]["t"] <= moments["end"]["t"]
            assert moments["end"]["t"] >= 0.5  # it did wait its half second
        assert any(e["type"] == "sample" for e in mine)
        found = mine[-1]
        assert found["answered"] == 3 and found["failed"] == 0
        assert len(found["sentences"]) == 2
        assert found["sentences"][0].startswith("3 requests to /")
    wsgi = next(e for e in stream if e["type"] == "leg-end" and e["mount"] == "wsgi")
    assert wsgi["max_busy"] == 2 and wsgi["threads"] == 2  # two threads for three
    assert wsgi["finished_in"] >= 1.0
    assert "the pool has 2 threads" in wsgi["sentences"][0]

    # Over: a reconnecting EventSource gets what came after its Last-Event-ID.
    assert events(racer, number, last=4) == stream[5:]
    record = fetch(f"{racer.url}/race/{number}.json")
    assert record.status == 200
    assert json.loads(record.body)["events"] == stream
    page = fetch(f"{racer.url}/race/{number}.html")
    assert page.status == 200
    assert 'id="race-record"' in page.text and "/busy?seconds=0.5" in page.text
    # Standalone: nothing to fetch, links back to the server that ran it.
    assert "<script src" not in page.text and "<link" not in page.text
    assert f'href="http://{racer.url.split("//")[1]}/compare/"' in page.text

    assert f'<a href="/race/{number}.html">' in fetch(racer.url + "/race").text

    again = start(racer, feature="hello", requests=1)
    assert again.status == 202  # one at a time, and that one is over
    events(racer, json.loads(again.body)["number"])
    assert "Traceback" not in racer.output()


def test_the_page_without_javascript_says_how_to_race(racer: Server) -> None:
    page = fetch(racer.url + "/race")
    assert page.status == 200
    assert '<fieldset id="race-fields" disabled>' in page.text
    noscript = page.text.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert "twistbridge compare" in noscript and "--wsgi-threads 2" in noscript
    host = racer.url.split("//")[1]
    assert f'twistbridge load "http://{host}/wsgi/busy?seconds=1"' in noscript
    assert 'aria-live="polite"' in page.text
    assert 'href="/race"' in fetch(racer.url + "/").text


def test_unknown_races_are_404(racer: Server) -> None:
    for path in ("/race/999.json", "/race/999/events", "/race/x", "/race/1/nope"):
        assert fetch(racer.url + path).status == 404, path


def test_a_404_is_an_answer(racer: Server) -> None:
    reply = start(racer, feature="not-found", requests=2)
    assert reply.status == 202
    stream = events(racer, json.loads(reply.body)["number"])
    ends = [e for e in stream if e["type"] == "request" and e["phase"] == "end"]
    assert [e["status"] for e in ends] == [404] * 2 * len(TARGETS)
    for found in (e for e in stream if e["type"] == "leg-end"):
        assert found["answered"] == 2 and found["failed"] == 0, found
        assert found["sentences"][0].startswith(
            f"2 requests to /{'asgi' if found['mount'] == 'uvicorn' else found['mount']}"
            "/no-such-page finished in"
        )


def test_the_wsgi_queue_full_is_a_5xx_in_the_sentence(racer: Server) -> None:
    # Two threads and one place in the queue: the fourth request gets 503.
    reply = start(racer, feature="busy", requests=4, seconds="0.3")
    assert reply.status == 202
    stream = events(racer, json.loads(reply.body)["number"])
    legs = {e["mount"]: e for e in stream if e["type"] == "leg-end"}
    assert legs["wsgi"]["server_errors"] == 1 and legs["wsgi"]["answered"] == 4
    assert legs["wsgi"]["sentences"][1].endswith("; 1 got a 5xx.")
    assert all(
        legs[m]["server_errors"] == 0 for m in ("native", "asgi", "klein", "uvicorn")
    )


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({"origin": "http://evil.example"}, "Origin: http://evil.example"),
        ({"origin": "null"}, "Origin: null"),  # a sandboxed frame, a file: page
        ({"sec-fetch-site": "cross-site"}, "Sec-Fetch-Site: cross-site"),
        ({"sec-fetch-site": "same-site"}, "Sec-Fetch-Site: same-site"),
        (
            {"origin": "http://evil.example", "sec-fetch-site": "cross-site"},
            "Sec-Fetch-Site: cross-site",
        ),
    ],
    ids=["origin", "null-origin", "cross-site", "same-site", "both"],
)
def test_another_sites_post_is_403_and_starts_nothing(
    racer: Server, headers: dict[str, str], said: str
) -> None:
    # A page elsewhere posting the race form through a visitor's browser (on main:
    # 202, a race fired). Django's origin check refuses it the same way.
    before = fetch(racer.url + "/race").text  # names the last race, if any
    reply = start(racer, headers, feature="hello", requests=1)
    assert reply.status == 403
    detail = f"Origin checking failed: {said} is another site's."
    assert json.loads(reply.body) == {"error": detail}
    assert fetch(racer.url + "/race").text == before


def test_the_pages_own_post_starts_a_race(racer: Server) -> None:
    own = {"origin": racer.url.rstrip("/"), "sec-fetch-site": "same-origin"}
    reply = start(racer, own, feature="hello", requests=1)
    assert reply.status == 202, reply.text
    events(racer, json.loads(reply.body)["number"])  # to its end


def test_no_race_turns_the_endpoint_off(tmp_path: Path) -> None:
    with run_server("--no-access-log", "--no-race", tmp_path=tmp_path) as server:
        reply = start(server, feature="hello", requests=1)
        page = fetch(server.url + "/race")
    assert reply.status == 403
    off = "Races are turned off on this server (--no-race)."
    assert json.loads(reply.body) == {"error": off}
    assert page.status == 200  # the page stays, to read races saved before
