"""What changes when a feature moves to Klein (`klein_app/`): one note per feature,
shown on its compare page and in docs/MIGRATION.md beside the notes of the three
others (`twisted_host.dashboard.notes`), in the same Markdown with inline `code` only.
Klein sits between the columns: Flask's routes, twisted.web's request and reactor.
"""

from __future__ import annotations

KLEIN_NOTES: dict[str, str] = {
    "home": (
        'Klein: `@app.route("/", methods=["GET"])` on a handler that takes '
        "twisted.web's `request` and returns the body; the routes are methods of a "
        "class (`Routes`), bound to one instance so that each reaches `self.settings`. "
        "It sets its own `Content-Type` and `Content-Length` (Klein would leave the "
        "length out)."
    ),
    "about": (
        "Klein: one more `@app.route`, matched by Werkzeug's `Map` as in Flask; "
        "`merge_slashes = False` keeps a path as sent, so `/about/` stays a 404 "
        "rather than a redirect."
    ),
    "not-found": (
        "Klein: `@app.handle_errors(NotFound)` and `@app.handle_errors"
        "(MethodNotAllowed)`, tried in order, answer Werkzeug's routing errors; the "
        "handler gets the `Failure` and sets the status and `Allow` on the request."
    ),
    "echo": (
        "Klein: a route with no `methods` takes every one, and the request is "
        "twisted.web's: the handler calls the native mount's own `echo_of(request)`, "
        "raw URI and repeated headers included, where WSGI and ASGI see a rebuilt "
        "view of it."
    ),
    "hello": (
        "Klein: the same bytes from a route handler on the reactor thread; the gap "
        "to `/native` is Werkzeug's matching and Klein's rendering of the result."
    ),
    "static": (
        "Klein: a handler may return any `twisted.web` resource, and a "
        "`branch=True` route hands it the rest of the path: `/static` returns the "
        "native mount's `File` tree itself, so ranges, listings and "
        "`If-Modified-Since` are Twisted's."
    ),
    "static-dispatch": (
        "Klein: nothing of its own: the folders are children (`putChild`) of the "
        "native `File` tree that the `branch=True` route returns."
    ),
    "clock": (
        "Klein: `branch=True` is the leaf: the route answers `/clock` and every "
        'path below; a second rule, `"/clock/"`, takes the slash, since a branch\'s '
        "rest is never empty."
    ),
    "calendar": (
        'Klein: a converter, `"/calendar/<segment>"`, as in Flask; the handler '
        "raises Werkzeug's `NotFound` for a segment that is not a year, and the "
        "constant rule `/calendar/now` wins over the converter as in Flask."
    ),
    "redirect": (
        'Klein: `IKleinRequest(request).url_for("year", {...})` builds the URL '
        "from the route's name under the mount's prefix; the handler sets 302 and "
        "`Location` on the request itself."
    ),
    "form": (
        'Klein: one route per method (`methods=["GET"]`, `["POST"]`); the body '
        "is read from `request.content`, which the Site has capped, and parsed by "
        "Werkzeug's `FormDataParser` (Klein brings Werkzeug along), "
        "urlencoded or multipart."
    ),
    "busy": (
        "Klein: the handler returns `deferLater`'s `Deferred` and Klein answers when "
        "it fires, holding no thread, as `/native` does without `NOT_DONE_YET`; when "
        "the client leaves, Klein cancels the Deferred."
    ),
    "busy-blocking": (
        "Klein: `time.sleep` in a handler stalls the reactor, every mount with it: "
        "Flask's routes on Klein no longer have a thread of their own."
    ),
    "busy-thread": (
        "Klein: an `async def` handler that awaits `deferToThread(...)`. Klein runs "
        "a coroutine with `ensureDeferred`, so it awaits Deferreds, not asyncio's "
        "futures."
    ),
    "ws": (
        "Klein: the route returns the native mount's `WebSocketResource`, and Klein "
        "renders it: the handshake and the echo protocol are Twisted's, on the same "
        "bounded wire protocol."
    ),
    "events": (
        "Klein: an `async def` that calls `request.write` and awaits `deferLater` "
        "between events; Klein finishes the request when the coroutine returns and "
        "cancels it (`CancelledError` at the `await`) when the client leaves."
    ),
    "proxy": (
        "Klein: a `branch=True` route, any method, returns the native mount's "
        "`ReverseProxyResource` object: the forwarding is Twisted's, on the reactor, "
        "the upstream's socket the answer's producer."
    ),
    "xmlrpc": (
        "Klein: the stdlib's dispatcher in an `async def` route, as on `/asgi`: "
        "the call is parsed by core, the function called, and the `Deferred` that "
        "`busy` returns awaited before the answer is marshalled."
    ),
}
