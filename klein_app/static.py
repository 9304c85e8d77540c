"""Static files, and more folders mounted under the static root.

A Klein handler may return any `twisted.web` resource, and Klein renders it for the
rest of the path (`branch=True` routes that rest here): the static folder is the
native tree's `StaticFolder` (`twisted.web.static.File` with core's rules: content
types, listings, no dot files, no way out of the root, ranges read by core), the
same object, not a copy. The folders of `--static-child` are its children, as in
example 4-4; `If-Modified-Since`, `Range` and the redirect to a folder's slash are
Twisted's.
"""

from __future__ import annotations

from functools import cached_property

from twisted.web.server import Request

from klein_app.errors import Routes, app
from twisted_host.native.static import StaticFolder, create_static


class Static(Routes):
    @cached_property
    def folder(self) -> StaticFolder:
        return create_static(self.settings.static_root, self.settings.static_children)

    # "/static" is the folder too: it answers with a redirect to its slash.
    @app.route("/static", branch=True, methods=["GET"])
    @app.route("/static/", methods=["GET"])  # a branch's rest is never empty
    def static(self, request: Request) -> StaticFolder:
        """A file or a listing from the static root, or from a folder under it."""
        return self.folder
