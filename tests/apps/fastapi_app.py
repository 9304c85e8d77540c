"""The differential suite's FastAPI app (routes: `tests.apps.common`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, StreamingResponse

from tests.apps.common import (
    EVENTS,
    GREETING,
    LINES,
    PAUSE,
    SAMPLE,
    Boom,
    Digest,
    event,
    line,
    scope_json,
)

app = FastAPI()


@app.get("/json")
async def get_json() -> dict[str, Any]:
    return GREETING


@app.post("/json")
async def post_json(request: Request) -> Any:
    return await request.json()


@app.post("/form")
async def post_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(value) for name, value in form.items()}


@app.post("/upload")
async def upload(request: Request) -> dict[str, object]:
    digest = Digest()
    async for piece in request.stream():
        digest.update(piece)
    return digest.result()


@app.api_route("/seen", methods=["GET", "POST"])
async def seen(request: Request) -> dict[str, Any]:
    return scope_json(request.scope)


@app.post("/first-piece")
async def first_piece(request: Request) -> dict[str, bool]:
    # Answers on the body's first piece, without waiting for the rest.
    async for _ in request.stream():
        break
    return {"first": True}


async def _lines(fail_after: int | None = None) -> AsyncIterator[bytes]:
    for index in range(LINES):
        if index == fail_after:
            raise Boom("mid-stream")
        yield line(index)
        await asyncio.sleep(PAUSE)


@app.get("/stream")
async def stream() -> StreamingResponse:
    return StreamingResponse(_lines(), media_type="text/plain")


@app.get("/sse")
async def sse() -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        for index in range(EVENTS):
            yield event(index)
            await asyncio.sleep(PAUSE)

    headers = {"Cache-Control": "no-cache"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@app.get("/file")
async def file() -> FileResponse:
    return FileResponse(SAMPLE, media_type="application/octet-stream")


@app.get("/error")
async def error() -> None:
    raise Boom("before the response")


@app.get("/error-mid-stream")
async def error_mid_stream() -> StreamingResponse:
    return StreamingResponse(_lines(fail_after=2), media_type="text/plain")
