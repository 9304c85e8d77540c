"""Static files, and more folders mounted under the static root.

"Twisted Web in 60 Seconds", static-content: a `twisted.web.static.File` serves a
folder, with `Last-Modified`, `If-Modified-Since` and `Range` handled by Twisted; the
book's example 4-3. Example 4-4 (static-dispatch) puts further `File`s under it with
`putChild`. The subclass adds what the contract asks beyond Twisted's defaults:
core's content types and listing page, no dot files, and no escape through links.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from twisted.web.resource import Resource
from twisted.web.server import Request
from twisted.web.static import File

from core.content import redirect_page
from core.errors import ClientError
from core.ranges import canonical_range
from core.static import (
    ascii_only,
    content_type,
    list_directory,
    listing_page,
    local_path,
)
from twisted_host.native.errors import NotFound, Page, error, html, render_or_405


class Listing(Page):
    """The HTML listing of one directory."""

    def __init__(self, directory: str) -> None:
        super().__init__()
        self.directory = Path(directory)

    def render_GET(self, request: Request) -> bytes:
        url_path = unquote(request.path.decode("latin-1"), errors="replace")
        return html(request, listing_page(url_path, list_directory(self.directory)))


class StaticFolder(File):
    # Twisted infers the attribute's type from its default, a private class; any
    # resource will do, and this one renders the contract's 404.
    childNotFound = NotFound()  # type: ignore[assignment]

    def __init__(
        self,
        path: str | Path,
        *args: Any,
        root: str | None = None,
        names: tuple[str, ...] = (),
    ) -> None:
        super().__init__(str(path), *args)
        self.indexNames = []  # a folder always answers with its listing
        # Where this tree starts and the URL's names from there to this folder: core
        # checks them all, so that no refused name and no link leads out of the tree.
        self.root = root or self.path
        self.names = names

    def getChild(self, path: bytes, request: Request) -> Resource:
        try:
            name = path.decode("utf-8")
        except UnicodeDecodeError:
            # No file here has such a name: Twisted's answers 404 too, after logging
            # the client's bytes as an error with a traceback.
            return self.childNotFound
        if local_path(self.root, [*self.names, name]) is None:
            return self.childNotFound
        child: Resource = super().getChild(path, request)
        return child

    def createSimilarFile(self, path: str) -> File:
        similar = StaticFolder(
            path,
            self.defaultType,
            self.ignoredExts,
            self.registry,
            root=self.root,
            names=(*self.names, os.path.basename(path)),
        )
        similar.processors = self.processors
        return similar

    def redirect(self, request: Request) -> bytes:
        # A folder without its slash. Twisted's redirect decodes the URL as ASCII
        # (and its page as UTF-8): a byte over 0x7f in the query was a 500. The URL
        # as the client sent it (the Site refused empty segments, so it is a path
        # on this host) with the slash, bytes over 0x7e escaped as core escapes
        # them for every mount; the page every mount answers with.
        path, mark, query = request.uri.decode("latin-1").partition("?")
        location = ascii_only(path) + "/" + mark + ascii_only(query)
        request.setResponseCode(302)
        request.setHeader(b"location", location.encode())
        return html(request, redirect_page(location))

    def directoryListing(self) -> Resource:
        return Listing(self.path)

    def render(self, request: Request) -> bytes | int:
        return render_or_405(super().render, request)

    def render_GET(self, request: Request) -> bytes | int:
        self.type, self.encoding = content_type(self.basename()), None
        self.restat(False)
        wanted = request.getHeader(b"range")
        if wanted is not None and self.isfile():
            # Twisted answers a suffix longer than the file with a 500: core reads
            # the header for every mount, and Twisted serves the one range it names.
            try:
                canonical = canonical_range(wanted.decode("latin-1"), self.getsize())
            except ClientError as malformed:
                return error(request, malformed.status, malformed.detail)
            if canonical is None:
                request.requestHeaders.removeHeader(b"range")
            else:
                request.requestHeaders.setRawHeaders(b"range", [canonical.encode()])
        answer: bytes | int = super().render_GET(request)
        return answer

    render_HEAD = render_GET


def create_static(root: Path, children: dict[str, Path]) -> StaticFolder:
    folder = StaticFolder(root)
    for name, path in children.items():
        folder.putChild(name.encode(), StaticFolder(path))
    return folder
