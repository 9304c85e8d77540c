"""The differential suite's Flask app (routes: `tests.apps.common`), served through
the standard library's `wsgiref.validate`, which fails the request (500) where the
server breaks PEP 3333: its environ, `start_response`, the response iterator.

One check of validate's is lifted: Werkzeug reads `wsgi.input` with `read()` and no
size where the server sets `wsgi.input_terminated` (gunicorn does), which validate's
input wrapper refuses. That is the app's side of the contract, not the server's, so
Flask gets the server's own stream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from wsgiref.validate import validator

from flask import Flask, Response, request, send_file, stream_with_context

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
)

flask_app = Flask(__name__)


@flask_app.get("/json")
def get_json() -> Any:
    return GREETING


@flask_app.post("/json")
def post_json() -> Any:
    return request.get_json()


@flask_app.post("/form")
def post_form() -> Any:
    return dict(request.form.items())


@flask_app.post("/upload")
def upload() -> Any:
    digest = Digest()
    while piece := request.stream.read(65536):
        digest.update(piece)
    return digest.result()


@flask_app.route("/seen", methods=["GET", "POST"])
def seen() -> Any:
    return environ_json(request.environ)


def _lines(fail_after: int | None = None) -> Iterator[bytes]:
    for index in range(LINES):
        if index == fail_after:
            raise Boom("mid-stream")
        yield line(index)
        time.sleep(PAUSE)


@flask_app.get("/stream")
def stream() -> Response:
    return Response(stream_with_context(_lines()), mimetype="text/plain")


@flask_app.get("/sse")
def sse() -> Response:
    def events() -> Iterator[bytes]:
        for index in range(EVENTS):
            yield event(index)
            time.sleep(PAUSE)

    headers = {"Cache-Control": "no-cache"}
    return Response(events(), mimetype="text/event-stream", headers=headers)


@flask_app.get("/file")
def file() -> Response:
    return send_file(SAMPLE, mimetype="application/octet-stream", conditional=True)


@flask_app.get("/error")
def error() -> Response:
    raise Boom("before the response")


@flask_app.get("/error-mid-stream")
def error_mid_stream() -> Response:
    return Response(_lines(fail_after=2), mimetype="text/plain")


def _server_input(environ: dict[str, Any], start_response: Any) -> Any:
    environ["wsgi.input"] = environ["wsgi.input"].input  # validate's InputWrapper
    return flask_app(environ, start_response)


app = validator(_server_input)
