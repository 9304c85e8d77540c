"""Static files, and more folders mounted under the static root.

`send_from_directory` refuses paths that leave the folder and answers conditional and
range requests (Werkzeug); the listing and content types come from core, so the page
is the one the other mounts show.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

from core.content import redirect_page
from core.contract import HTML
from core.static import (
    content_type,
    is_refused,
    list_directory,
    listing_page,
    slash_url,
)


def _serve(folder: Path, path: str) -> Response:
    """One file, or a folder's listing, from `folder`."""
    if any(is_refused(part) for part in path.split("/")):
        raise NotFound()
    local = safe_join(str(folder), path) if path else str(folder)
    if local is None:
        raise NotFound()
    real, root = os.path.realpath(local), os.path.realpath(folder)
    if real != root and not real.startswith(root + os.sep):
        raise NotFound()  # a link out of the folder
    url_path = request.script_root + request.path
    if os.path.isdir(local):
        if not url_path.endswith("/"):
            # Answered as Twisted's static.File answers a folder without its slash.
            url = slash_url(url_path, request.query_string.decode("latin-1"))
            return Response(
                redirect_page(url), 302, {"Location": url}, content_type=HTML
            )
        entries = list_directory(Path(local))
        return Response(listing_page(url_path, entries), content_type=HTML)
    response = send_from_directory(folder, path, conditional=True, etag=False)
    response.content_type = content_type(os.path.basename(local))
    return response


def create_blueprint(static_root: Path, children: dict[str, Path]) -> Blueprint:
    bp = Blueprint("static", __name__)

    def static(path: str = "") -> Response:
        """A file or a listing from the static root."""
        return _serve(static_root, path)

    bp.add_url_rule(
        "/static/", view_func=static, defaults={"path": ""}, strict_slashes=False
    )
    bp.add_url_rule("/static/<path:path>", view_func=static)

    for name, folder in children.items():

        def child(path: str = "", folder: Path = folder) -> Response:
            """A file or a listing from a folder mounted under the static root."""
            return _serve(folder, path)

        endpoint = f"child_{name}"
        bp.add_url_rule(
            f"/static/{name}/",
            endpoint,
            view_func=child,
            defaults={"path": ""},
            strict_slashes=False,
        )
        bp.add_url_rule(f"/static/{name}/<path:path>", endpoint, view_func=child)
    return bp
