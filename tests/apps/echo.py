"""The smallest WSGI and ASGI apps that say what the server told them: where they are
mounted, who the client is and by which scheme it came (as JSON)."""

from __future__ import annotations

import json
from typing import Any

from twisted.web.resource import Resource
from twisted.web.server import Request

from twisted_host.types import Receive, Scope, Send, StartResponse


def wsgi(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    seen = {
        "mount": environ["SCRIPT_NAME"],
        "path": environ["PATH_INFO"],
        "client": environ.get("REMOTE_ADDR"),
        "port": int(environ.get("REMOTE_PORT") or 0),
        "scheme": environ["wsgi.url_scheme"],
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


def create_wsgi() -> Any:
    """A factory, for `--factory`."""
    return wsgi


async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return  # lifespan: not supported, as many apps
    client = scope.get("client")
    seen = {
        "mount": scope["root_path"],
        "path": scope["path"][len(scope["root_path"]) :],
        "client": client[0] if client else None,
        "port": client[1] if client else 0,
        "scheme": scope["scheme"],
    }
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


async def asgi_scope(scope: Scope, receive: Receive, send: Send) -> None:
    """The scope's paths as the server gave them, to hold `--root-path` to uvicorn's."""
    if scope["type"] != "http":
        return
    seen = {key: scope[key] for key in ("root_path", "path")}
    seen["raw_path"] = scope["raw_path"].decode("latin-1")
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


class Seen(Resource):
    """A `twisted.web` resource saying where it is mounted, as `wsgi` does."""

    isLeaf = True

    def render(self, request: Request) -> bytes:
        prepath, postpath = request.prepath or [], request.postpath or []
        seen = {
            "mount": "".join("/" + s.decode() for s in prepath),
            "path": "/" + "/".join(s.decode() for s in postpath),
        }
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(seen).encode()


resource = Seen()


def wsgi_raises(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """An app that fails, for the error log."""
    raise RuntimeError("boom from WSGI")


class Raises(Resource):
    isLeaf = True

    def render(self, request: Request) -> bytes:
        raise RuntimeError("boom from a resource")


raises = Raises()
