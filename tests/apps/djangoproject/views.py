"""The differential suite's Django views (routes: `tests.apps.common`). Streams are
async iterators under the ASGI handler and plain ones under WSGI, as Django asks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator

from django.core.handlers.asgi import ASGIRequest
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)

from tests.apps.common import (
    EVENTS,
    GREETING,
    LINES,
    PAUSE,
    SAMPLE,
    Boom,
    Digest,
    environ_json,
    event,
    line,
    scope_json,
)


def json_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return JsonResponse(json.loads(request.body), safe=False)
    return JsonResponse(GREETING)


def form(request: HttpRequest) -> HttpResponse:
    return JsonResponse(dict(request.POST.items()))


def upload(request: HttpRequest) -> HttpResponse:
    digest = Digest()
    while piece := request.read(65536):
        digest.update(piece)
    return JsonResponse(digest.result())


def seen(request: HttpRequest) -> HttpResponse:
    if isinstance(request, ASGIRequest):
        return JsonResponse(scope_json(request.scope))
    return JsonResponse(environ_json(request.META))


def _paced(
    request: HttpRequest, item: Callable[[int], bytes], count: int, fail_after: int
) -> Iterator[bytes] | AsyncIterator[bytes]:
    if isinstance(request, ASGIRequest):

        async def paced_async() -> AsyncIterator[bytes]:
            for index in range(count):
                if index == fail_after:
                    raise Boom("mid-stream")
                yield item(index)
                await asyncio.sleep(PAUSE)

        return paced_async()

    def paced() -> Iterator[bytes]:
        for index in range(count):
            if index == fail_after:
                raise Boom("mid-stream")
            yield item(index)
            time.sleep(PAUSE)

    return paced()


def stream(request: HttpRequest) -> HttpResponse:
    lines = _paced(request, line, LINES, -1)
    return StreamingHttpResponse(lines, content_type="text/plain")


def sse(request: HttpRequest) -> HttpResponse:
    events = _paced(request, event, EVENTS, -1)
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    return response


def file(request: HttpRequest) -> HttpResponse:
    return FileResponse(SAMPLE.open("rb"), content_type="application/octet-stream")


def error(request: HttpRequest) -> HttpResponse:
    raise Boom("before the response")


def error_mid_stream(request: HttpRequest) -> HttpResponse:
    lines = _paced(request, line, LINES, 2)
    return StreamingHttpResponse(lines, content_type="text/plain")
