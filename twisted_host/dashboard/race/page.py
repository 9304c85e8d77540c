"""`/race`: the page, the start button's endpoint, the event stream, the permalinks.

GET  /race              the page (a race in progress is picked up and shown)
POST /race/start        feature, requests, seconds: 202, 400 over the caps, 409 busy,
                        403 from another site's page, or with --no-race
GET  /race/N/events     race N as server-sent events, from its start
GET  /race/N.json       race N's record;  GET /race/N.html: the page, standalone
"""

from __future__ import annotations

import json
import re
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from core.errors import ClientError
from core.mounts import MOUNTS, UVICORN, UVICORN_LABEL, UVICORN_PREFIX
from core.settings import Settings
from twisted_host.dashboard.race.leg import Target
from twisted_host.dashboard.race.origin import cross_origin
from twisted_host.dashboard.race.race import Race, Races
from twisted_host.dashboard.race.spec import (
    DEFAULT_FEATURE,
    DEFAULT_REQUESTS,
    DEFAULT_SECONDS,
    RACE_FEATURES,
    parse_spec,
)
from twisted_host.dashboard.race.sse import EventStream
from twisted_host.dashboard.templating import base, render
from twisted_host.native.errors import NotFound, Page, error, html
from twisted_host.native.form import parse_form

OFF = "Races are turned off on this server (--no-race)."
_NUMBERED = re.compile(rb"([0-9]{1,9})(\.json|\.html)?")


class RacePage(Page):
    def __init__(
        self, settings: Settings, races: Races, uvicorn_port: int | None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.races = races
        self.uvicorn_port = uvicorn_port

    def getChild(self, path: bytes, request: Request) -> Resource:
        if path == b"":
            return self
        if path == b"start":
            return _Start(self)
        match = _NUMBERED.fullmatch(path)
        race = self.races.find(int(match.group(1))) if match else None
        if match is None or race is None:
            return NotFound()
        suffix = match.group(2)
        if suffix == b".json":
            return _Record(race)
        if suffix == b".html":
            return _Permalink(self, race)
        return _Numbered(race)

    def render_GET(self, request: Request) -> bytes:
        current = self.races.current
        number = current.number if current is not None else None
        running = current is not None and current.running
        host = (request.getHeader(b"host") or b"HOST").decode("latin-1")
        page = self.page(running=number if running else None, last=number, host=host)
        return html(request, page)

    def page(self, **context: Any) -> str:
        settings = self.settings
        return render(
            "race.html",
            features=RACE_FEATURES,
            default_feature=DEFAULT_FEATURE,
            default_requests=min(DEFAULT_REQUESTS, settings.race_max_requests),
            default_seconds=min(DEFAULT_SECONDS, settings.race_max_seconds),
            max_requests=settings.race_max_requests,
            max_seconds=min(settings.race_max_seconds, settings.busy_max),
            threads=settings.wsgi_threads,
            **context,
        )

    def targets(self, request: Request, path: str) -> list[Target]:
        """Every mount of this Site, and uvicorn, at the address the page came in on."""
        address = request.getHost()
        if not isinstance(address, IPv4Address | IPv6Address):
            raise ClientError(400, "a race needs the Site on TCP (not a UNIX socket)")
        host = f"[{address.host}]" if ":" in address.host else address.host
        site = f"http://{host}:{address.port}"
        targets = [Target(m.name, f"{site}{m.prefix}{path}", m.label) for m in MOUNTS]
        if self.uvicorn_port:
            url = f"http://{host}:{self.uvicorn_port}{UVICORN_PREFIX}{path}"
            targets.append(Target(UVICORN, url, UVICORN_LABEL))
        return targets


def _json(request: Request, status: int, document: dict[str, Any]) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    return json.dumps(document).encode()


def _links(race: Race) -> dict[str, Any]:
    n, at = race.number, f"{base()}/race"
    return {
        "number": n,
        "events": f"{at}/{n}/events",
        "json": f"{at}/{n}.json",
        "html": f"{at}/{n}.html",
    }


class _Start(Page):
    def __init__(self, page: RacePage) -> None:
        super().__init__()
        self.page = page

    def render_POST(self, request: Request) -> bytes:
        if not self.page.settings.race:
            return _json(request, 403, {"error": OFF})
        elsewhere = cross_origin(request)
        if elsewhere is not None:
            # Django's words for its own origin check, with the header that said so.
            detail = f"Origin checking failed: {elsewhere} is another site's."
            return _json(request, 403, {"error": detail})
        # The Site leaves POST bodies to the page (twisted_host.native.form says why).
        body = request.content.read() if request.content is not None else b""
        form = parse_form(request.getHeader(b"content-type") or b"", body)
        fields = {k.decode("latin-1"): v.decode("latin-1") for k, v in reversed(form)}
        try:
            spec = parse_spec(fields, self.page.settings)
            race = self.page.races.start(spec, self.page.targets(request, spec.path))
        except ClientError as refused:
            answer: dict[str, Any] = {"error": refused.detail}
            current = self.page.races.current
            if refused.status == 409 and current is not None:
                answer["running"] = _links(current)
            return _json(request, refused.status, answer)
        return _json(request, 202, _links(race))


class _Numbered(Page):
    def __init__(self, race: Race) -> None:
        super().__init__()
        self.race = race

    def getChild(self, path: bytes, request: Request) -> Resource:
        return _Events(self.race) if path == b"events" else NotFound()


class _Events(Page):
    def __init__(self, race: Race) -> None:
        super().__init__()
        self.race = race

    def render_GET(self, request: Request) -> int:
        EventStream(request, self.race.feed).start()
        return NOT_DONE_YET


class _Record(Page):
    def __init__(self, race: Race) -> None:
        super().__init__()
        self.race = race

    def render_GET(self, request: Request) -> bytes:
        if self.race.running:
            return _json(request, 409, {"error": "the race is still running"})
        request.setHeader(b"content-disposition", _attachment(self.race, "json"))
        return _json(request, 200, self.race.to_json())


class _Permalink(Page):
    """The page with the race inside it: no server needed to read it again."""

    def __init__(self, page: RacePage, race: Race) -> None:
        super().__init__()
        self.page = page
        self.race = race

    def render_GET(self, request: Request) -> bytes:
        if self.race.running:
            return error(request, 409, "The race is still running.")
        host = (request.getHeader(b"host") or b"").decode("latin-1")
        origin = f"http://{host}" if host else ""
        request.setHeader(b"content-disposition", _attachment(self.race, "html"))
        return html(request, self.page.page(report=self.race.to_json(), origin=origin))


def _attachment(race: Race, kind: str) -> bytes:
    return f'inline; filename="race-{race.number}.{kind}"'.encode()
