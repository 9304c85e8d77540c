"""Static files, and more folders mounted under the static root.

Starlette's `StaticFiles` refuses paths that leave the folder (links included) and
answers conditional and range requests; the subclass adds core's rule on which paths
are served at all (no dot files), folder listings, the redirect to a folder's slash,
and core's content types.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from core.content import redirect_page
from core.static import (
    content_type,
    list_directory,
    listing_page,
    local_path,
    slash_url,
)


def _to_slash(path: str, scope: Scope) -> Response:
    # Answered as Twisted's static.File answers a folder without its slash.
    url = slash_url(path, scope["query_string"].decode("latin-1"))
    return HTMLResponse(redirect_page(url), 302, {"Location": url})


class StaticFolder(StaticFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.root = directory

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        """Starlette's lookup, once core's rule allows the path: a refused name or a
        way out of the folder is 404, whatever the method."""
        # Starlette has normalised the path already: "." is the folder itself.
        names = [name for name in path.split(os.sep) if name != os.curdir]
        if local_path(self.root, names) is None:
            raise HTTPException(404)
        try:
            return super().lookup_path(path)
        except OSError:  # Starlette lets "File name too long" (and the like) out: 500
            return "", None

    async def get_response(self, path: str, scope: Scope) -> Response:
        full_path, found = await to_thread.run_sync(self.lookup_path, path)
        if found is not None and stat.S_ISDIR(found.st_mode):
            if scope["method"] not in ("GET", "HEAD"):
                raise HTTPException(405, headers={"Allow": "GET, HEAD"})
            url_path = scope["path"]
            if not url_path.endswith("/"):
                return _to_slash(url_path, scope)
            entries = await to_thread.run_sync(list_directory, Path(full_path))
            return HTMLResponse(listing_page(url_path, entries))
        response = await super().get_response(path, scope)
        if response.status_code in (200, 206):
            response.headers["content-type"] = content_type(os.path.basename(path))
        return response


async def folder_slash(request: Request) -> Response:
    """A mounted folder asked for without its trailing slash."""
    return _to_slash(request.scope["path"], request.scope)


def create_routes(static_root: Path, children: dict[str, Path]) -> list[BaseRoute]:
    routes: list[BaseRoute] = [Route("/static", folder_slash)]
    for name, folder in children.items():
        routes.append(Route(f"/static/{name}", folder_slash))
        routes.append(Mount(f"/static/{name}", StaticFolder(directory=folder)))
    routes.append(Mount("/static", StaticFolder(directory=static_root)))
    return routes
