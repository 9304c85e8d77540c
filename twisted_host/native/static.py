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
from typing import Any, ClassVar
from urllib.parse import unquote

from twisted.web.resource import Resource
from twisted.web.server import Request
from twisted.web.static import File

from core.static import content_type, is_refused, list_directory, listing_page
from twisted_host.native.errors import NotFound, Page, html, render_or_405


class Listing(Page):
    """The HTML listing of one directory."""

    def __init__(self, directory: str) -> None:
        super().__init__()
        self.directory = Path(directory)

    def render_GET(self, request: Request) -> bytes:
        url_path = unquote(request.path.decode("ascii"), errors="replace")
        return html(request, listing_page(url_path, list_directory(self.directory)))


class StaticFolder(File):
    childNotFound = NotFound()
    indexNames: ClassVar[list[str]] = []  # a folder always answers with its listing

    def __init__(self, path: str | Path, *args: Any, root: str | None = None) -> None:
        super().__init__(str(path), *args)
        # Where this tree starts: a child may be a link, and links must not lead out.
        self.root = root or os.path.realpath(self.path)

    def getChild(self, path: bytes, request: Request) -> Resource:
        if is_refused(path.decode("utf-8", "replace")):
            return self.childNotFound
        child = super().getChild(path, request)
        if isinstance(child, File):
            real = os.path.realpath(child.path)
            if real != self.root and not real.startswith(self.root + os.sep):
                return self.childNotFound
        return child

    def createSimilarFile(self, path: str) -> File:
        similar = StaticFolder(
            path, self.defaultType, self.ignoredExts, self.registry, root=self.root
        )
        similar.processors = self.processors
        return similar

    def directoryListing(self) -> Resource:
        return Listing(self.path)

    def render(self, request: Request) -> bytes | int:
        return render_or_405(super().render, request)

    def render_GET(self, request: Request) -> bytes | int:
        self.type, self.encoding = content_type(self.basename()), None
        if b"," in (request.getHeader(b"range") or b""):
            # Several ranges ("0-,0-,0-,..." repeats the file): answer the whole file
            # once instead, as Werkzeug does; a single range is served as asked.
            request.requestHeaders.removeHeader(b"range")
        return super().render_GET(request)  # type: ignore[no-any-return]

    render_HEAD = render_GET


def create_static(root: Path, children: dict[str, Path]) -> StaticFolder:
    folder = StaticFolder(root)
    for name, path in children.items():
        folder.putChild(name.encode(), StaticFolder(path))
    return folder
