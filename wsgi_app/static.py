"""Static files, and more folders mounted under the static root.

`send_from_directory` refuses paths that leave the folder and answers conditional and
range requests (Werkzeug); which paths are served at all, the listing and the content
types come from core, so the pages are the ones the other mounts show.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory
from werkzeug.exceptions import NotFound

from core.content import redirect_page
from core.contract import HTML
from core.ranges import canonical_range
from core.static import (
    content_type,
    list_directory,
    listing_page,
    local_path,
    slash_url,
)


def _serve(folder: Path, path: str) -> Response:
    """One file, or a folder's listing, from `folder`."""
    local = local_path(folder, path.split("/"))
    if local is None:
        raise NotFound()  # a refused name, or a way out of the folder
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
    wanted = request.environ.pop("HTTP_RANGE", None)
    if wanted is not None:
        # Werkzeug answers a suffix longer than the file with 416: core reads the
        # header for every mount, and Werkzeug serves the one range it names.
        canonical = canonical_range(wanted, os.path.getsize(local))
        if canonical is not None:
            request.environ["HTTP_RANGE"] = canonical
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
