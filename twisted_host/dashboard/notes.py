"""What changes when a feature moves from twisted.web to Flask or Starlette: the notes
of the compare pages and of docs/MIGRATION.md, written once for both.

Notes are Markdown with inline `code` only, so the HTML pages can render them with
a two-line converter and the Markdown file takes them as they are.
"""

from __future__ import annotations

# (concept, twisted.web, Flask / WSGI, Starlette / ASGI)
CHEAT_SHEET: tuple[tuple[str, str, str, str], ...] = (
    (
        "A page",
        "a `Resource` with `render_GET(self, request)` returning `bytes`",
        "a view function returning `str` or a `Response`",
        "`async def endpoint(request)` returning a `Response`",
    ),
    (
        "The URL tree",
        '`parent.putChild(b"name", child)`, one path segment per resource',
        '`@bp.get("/path")` on a `Blueprint`, `app.register_blueprint(bp)`',
        '`Route("/path", endpoint)`, `Mount("/prefix", app)`',
    ),
    (
        "A child made per request",
        "`getChild(self, path, request)`",
        "a converter: `/calendar/<segment>`",
        "a path parameter: `/calendar/{segment}`",
    ),
    (
        "A path and everything below it",
        "`isLeaf = True`, the rest in `request.postpath`",
        "a second rule with `<path:rest>`",
        "a second route with `{rest:path}`",
    ),
    (
        "Query string and form fields",
        '`request.args[b"form-field"]`: lists of `bytes`, the query (and the body, unless the Site says `parsePOSTFormSubmission=False`)',
        '`request.args`, `request.form["form-field"]`: `str`',
        "`request.query_params`, `(await request.form())[...]`",
    ),
    (
        "Answering later",
        "`return NOT_DONE_YET`, then `request.write()` and `request.finish()` from a callback",
        "not possible: the pool thread waits until the view returns",
        "`async def` and `await`; the return value is the answer",
    ),
    (
        "Waiting",
        "`deferLater(reactor, seconds, f)`",
        "`time.sleep(seconds)`, holding a pool thread",
        "`await asyncio.sleep(seconds)`",
    ),
    (
        "A blocking call",
        "`deferToThread(f, *args)`",
        "already on a thread (of a bounded pool)",
        "`await run_in_threadpool(f, *args)`",
    ),
    (
        "Errors",
        "a child that renders 404; `UnsupportedMethod` for 405",
        "`app.register_error_handler(404, handler)`",
        "`exception_handlers={HTTPException: handler}`",
    ),
    (
        "The client went away",
        "`request.notifyFinish()` errbacks",
        "not seen until the view writes",
        "`receive()` gives `http.disconnect`; the task may be cancelled",
    ),
    (
        "The raw request",
        "`request.uri` as sent, `requestHeaders.getAllRawHeaders()`",
        "`environ`: decoded `PATH_INFO`, one `HTTP_*` key per header name",
        '`scope["raw_path"]`, `scope["headers"]` as an ordered list',
    ),
    (
        "The mount prefix",
        "`request.prepath`",
        "`SCRIPT_NAME`, `request.script_root`",
        '`scope["root_path"]`',
    ),
    (
        "A WebSocket",
        "`WebSocketResource(factory)`; a `WebSocketProtocol` with `textMessageReceived`",
        "not possible: one call per request, the whole answer returned",
        "`WebSocketRoute(path, endpoint)`; `await websocket.receive_text()`",
    ),
    (
        "A stream that stays open",
        "`NOT_DONE_YET`, then `request.write()` from a `LoopingCall`",
        "return a generator; it holds a pool thread while it runs",
        "`StreamingResponse(async_generator)`",
    ),
)

NOTES: dict[str, tuple[str, ...]] = {
    "home": (
        'Twisted builds a tree of `Resource` objects: `putChild(b"", root)` makes the '
        "mount's own path answer, and each further child is one path segment. Flask "
        "registers view functions on a `Blueprint`; Starlette takes a list of `Route`s.",
        "`render_GET(self, request)` returning `bytes` becomes a view function "
        "returning `str` (Flask) or an `async def` endpoint returning a `Response` "
        "(Starlette).",
        "The content type: Twisted's `html()` helper sets it on the request; Flask "
        "sends a returned `str` as `text/html`; Starlette takes it from the response "
        "class (`HTMLResponse`).",
    ),
    "about": (
        '`putChild(b"about", About())` becomes `@bp.get("/about")` and '
        '`Route("/about", about)`. Twisted dispatches one segment at a time; Flask '
        "and Starlette match the whole path against each rule.",
        '`/about/` is another resource in Twisted (the child `b""` of `about`), so '
        "it is a 404; Flask and Starlette would redirect to add or drop the slash, "
        "unless told not to (`strict_slashes`, `redirect_slashes = False`).",
    ),
    "not-found": (
        "In Twisted a 404 is a resource: `getChild` returns `NotFound()`, a leaf "
        "(`isLeaf = True`) that answers at any depth. Flask registers an error "
        "handler for 404; Starlette an `exception_handlers` entry for `HTTPException`.",
        "A method with no `render_*` makes `Resource.render` raise "
        "`UnsupportedMethod`, turned here into the contract's 405 with `Allow`. Flask "
        "raises `MethodNotAllowed` (with `valid_methods`); Starlette raises "
        "`HTTPException(405)` with an `Allow` header.",
    ),
    "echo": (
        "Twisted sees the raw request: `request.method`, `request.uri` (the request "
        "target as sent, query included), `request.clientproto`, and every header "
        "from `requestHeaders.getAllRawHeaders()`, repeated ones separately.",
        "WSGI gets a CGI-style `environ`: the path arrives percent-decoded and split "
        "into `SCRIPT_NAME` and `PATH_INFO` (it has to be quoted back), the query in "
        "`QUERY_STRING`, and one `HTTP_*` key per header name: repeated headers are "
        "already joined, and their order is lost.",
        "ASGI keeps `raw_path` (bytes, as sent) beside the decoded `path`, the "
        "`query_string`, and `headers` as a list of `(name, value)` byte pairs in "
        "order, names lower-cased, repeats kept.",
        "Every method: Twisted overrides `render` instead of `render_GET`; a Flask "
        "route lists its methods, so a Werkzeug `Rule` without `methods` is added; "
        "Starlette's `Route` takes every method when its endpoint is an ASGI app "
        "rather than a request function.",
    ),
    "hello": (
        "The smallest answer on each stack: the gap in requests/s between the mounts "
        "is the cost of the layer (WSGI's hop to a pool thread, ASGI's coroutine and "
        "messages).",
        "`text/plain` must be asked for: `text()` sets the header in Twisted, "
        "`Response(..., content_type=TEXT)` in Flask, `PlainTextResponse` in "
        "Starlette.",
        "Two lanes (docs/LANES.md): `/native` and `/klein` answer through a "
        "`twisted.web` `Request` (the resource lane), while `/wsgi` and `/asgi` take "
        "the direct lane, their environ or scope built from the parser's callbacks "
        "with no `Request`, `Headers` or `Deferred`: measured on this project's "
        "machine, `/asgi/hello` served 1.6 times the requests per CPU-second on the "
        "direct lane that it served on the resource lane (`/wsgi/hello`: 1.2 "
        "times). `twistbridge serve --show-lane` names the lane in an "
        "`X-Twistbridge-Lane` header and the access log; `--no-direct-lane` turns it "
        "off to compare.",
    ),
    "static": (
        "`twisted.web.static.File` serves a folder with `If-Modified-Since` and "
        "`Range` built in, and is a tree itself: `getChild` makes a `File` per path "
        "segment. Flask uses Werkzeug's `send_from_directory(..., conditional=True)`; "
        "Starlette mounts `StaticFiles` with `Mount`.",
        "Keeping to the root: all three ask one function of `core`, "
        "`core.static.local_path`, whether a path (links resolved) stays inside "
        "the root, and keep their framework's own guard underneath: Twisted's "
        "`File.child`, Werkzeug's `safe_join`, Starlette's `StaticFiles.lookup_path`.",
        "Listings: `File.directoryListing()` returns a resource; in Flask and "
        "Starlette a folder is one more branch of the view.",
    ),
    "static-dispatch": (
        "`putChild` on a `File` hangs another folder under the static root "
        "(example 4-4). Flask adds URL rules, one endpoint per folder; Starlette a "
        "`Mount` per folder, listed before the root's `Mount` because routes match "
        "in order.",
    ),
    "clock": (
        "`isLeaf = True` stops Twisted's traversal at this resource, so it answers "
        "`/clock`, `/clock/` and every path below. Flask needs a second rule with a "
        "`<path:rest>` converter; Starlette a second `Route` with `{rest:path}`.",
        "The leaf still sees what is below it: `request.postpath` in Twisted, the "
        "`rest` parameter in the other two.",
    ),
    "calendar": (
        "Dynamic dispatch: `getChild(self, path, request)` makes a child per request "
        "from the path segment (`Year(year)`); in Flask and Starlette the segment is "
        "a route parameter (`<segment>`, `{segment}`) handed to one view.",
        "A segment that is not a year: `getChild` returns `NotFound()`; the views "
        "raise `NotFound` or `HTTPException(404)`, which their error handlers turn "
        "into the same page.",
        '`putChild(b"now", ...)` wins over `getChild` because Twisted looks in '
        "`children` first; Werkzeug ranks a constant rule above a converter by "
        "itself; Starlette tries routes in order, so `/calendar/now` comes first.",
    ),
    "redirect": (
        "`redirectTo(url, request)` sets 302 and `Location` and returns a small page. "
        "Flask and Starlette build the same response by hand; `url_for` and "
        "`request.url_for` compute the URL from the route's name and the mount "
        "prefix (`SCRIPT_NAME`, `root_path`), where Twisted uses `request.prepath`.",
    ),
    "form": (
        "Twisted parses urlencoded and multipart bodies into `request.args` beside "
        "the query string, but reads `Content-Type` in time quadratic in its length; "
        "the Site turns that off (`parsePOSTFormSubmission=False`) and `render_POST` "
        "parses `request.content` with python-multipart, values as bytes. Flask: "
        '`request.form.get("form-field")`, a `str`; Starlette: `await '
        "request.form()`, because reading the body is I/O.",
        "Body limits: Twisted has read the whole body into `request.content` before "
        "`render` (check its size there); Flask's `MAX_CONTENT_LENGTH` answers 413 "
        "itself; Starlette streams the body, so the endpoint counts bytes as they "
        "come.",
        "One class with a method per verb (`render_GET`, `render_POST`) maps directly "
        "to Starlette's `HTTPEndpoint` (`get`, `post`); Flask uses a view function "
        "per verb (`@bp.get`, `@bp.post`).",
    ),
    "busy": (
        "`NOT_DONE_YET` and `deferLater` become `async def` and `await "
        "asyncio.sleep`: the Twisted handler returns at once and a callback "
        "finishes the request later; the coroutine reads top to bottom.",
        "The client goes away: Twisted's `notifyFinish()` errbacks and the pending "
        "`Deferred` is cancelled by hand; an ASGI app is told by `http.disconnect`, "
        "and this bridge cancels its task after a grace period (uvicorn lets it run "
        "on), so the `await` raises `CancelledError`.",
        "WSGI cannot wait without holding its thread: the Flask view's `time.sleep` "
        "occupies one thread of the WSGI pool (watch busy, idle and backlog on the "
        "dashboard).",
    ),
    "busy-blocking": (
        "`time.sleep` in `render_GET` blocks the reactor thread: every request on "
        "every mount waits (watch reactor lag on the dashboard). The same call in an "
        "`async def` blocks the event loop, which here is the reactor's. In Flask it "
        "blocks one pool thread only.",
    ),
    "busy-thread": (
        "`deferToThread(f, ...)` becomes `await run_in_threadpool(f, ...)` "
        "(`asyncio.to_thread` in plain asyncio): the blocking call runs on a worker "
        "thread and its result comes back as a `Deferred` or an awaitable.",
        "A thread cannot be cancelled: when the client leaves, the Twisted version "
        "drops the answer; the Flask view has nothing to hand back to, so its pool "
        "thread blocks on `Future.result()` all the same.",
    ),
    "ws": (
        "Twisted's `WebSocketResource` answers the handshake and hands the connection "
        "to a `WebSocketProtocol` made by its factory: `textMessageReceived` and "
        "`bytesMessageReceived` are callbacks, and the answer goes out through "
        "`transport.sendTextMessage`. Starlette's `WebSocketRoute` gives one coroutine "
        "the whole conversation: `await websocket.accept()`, then a loop of "
        "`receive()` and `send_text()` / `send_bytes()` until `websocket.disconnect`.",
        "WSGI cannot: the application is called once per request and returns the "
        "whole answer, with no way to take the socket over after a 101 or to hear "
        "from the client later. `/wsgi/ws` says so with a 501; a WSGI site serves its "
        "WebSockets from an ASGI app or a separate server.",
        "Messages are limited to `--ws-max-size` bytes (1 MiB) on every mount: the "
        "connection is closed with 1009, as uvicorn does, rather than buffering "
        "whatever a client sends.",
    ),
    "events": (
        "A response that never ends. Twisted: `render_GET` returns `NOT_DONE_YET` "
        "and a `LoopingCall` writes an event a second, stopped when `notifyFinish()` "
        "fires. Starlette: a `StreamingResponse` over an async generator that "
        "`await`s `asyncio.sleep` between events. Neither holds a thread.",
        "Flask: a generator that calls `time.sleep`. The server sends each event as "
        "it comes (no `Content-Length`, so no buffering), but the pool thread belongs "
        "to the generator for as long as the client listens: ten listeners hold the "
        "whole WSGI pool (watch busy and backlog on the dashboard).",
        "The client leaving: Twisted's `notifyFinish()` errbacks and the timer is "
        "stopped; Starlette sees `http.disconnect` and stops iterating; the WSGI "
        "server notices only when its next write finds the socket gone.",
    ),
    "proxy": (
        "Twisted: `ReverseProxyResource` connects to the upstream from the reactor "
        "and writes its answer to the request as it arrives; the upstream's socket "
        "is the answer's producer, so a client that reads slowly slows the reading "
        "of the upstream instead of filling memory. Starlette: `httpx.AsyncClient` "
        "with `stream=True`, the request body from `request.stream()` and the "
        "answer relayed by a `StreamingResponse` over `aiter_raw()`. Neither holds "
        "a thread while the upstream thinks.",
        "Flask: `http.client` on the pool thread, the answer a generator of "
        "`read1()`s. The thread is held for the upstream's whole answer, from the "
        "connect to the last byte: ten slow upstream answers take the ten threads "
        "of `--wsgi-threads 10`, and every other `/wsgi` request waits behind them.",
        "What all three forward is `core/proxy.py`'s: hop-by-hop headers (and those "
        "`Connection` names) dropped both ways, `X-Forwarded-For/-Proto/-Host` "
        "added, `Host` the upstream's, and a path that would leave the upstream's "
        "base (`..`, an encoded `/`) refused with 400 rather than normalised. An "
        "upstream that refuses the connection is 502; one slower than "
        "`--proxy-timeout` (to connect, or between two reads) is 504.",
        "The strangler fig: put the Twisted Site in front of the old server "
        "(`--proxy-upstream http://old-server`) and take its routes over one at a "
        "time (see *Moving an existing app* on the compare index).",
    ),
    "xmlrpc": (
        "Twisted: a `twisted.web.xmlrpc.XMLRPC` resource whose `xmlrpc_*` methods are "
        "the procedures; one may return a `Deferred` (`busy`, from `deferLater`) and "
        "the answer goes out when it fires, no thread held. Flask and Starlette: the "
        "stdlib's `SimpleXMLRPCDispatcher`, with `register_function`, in a view.",
        "The dispatcher marshals what a function returns at once "
        "(`_marshaled_dispatch`), so it cannot await: the Starlette endpoint parses "
        "the call, lets the dispatcher find and call the function, awaits the "
        "coroutine it gets, then marshals the answer. Under Flask, `busy` sleeps on "
        "its pool thread: with `--wsgi-threads 2`, four `busy(1)` take two seconds.",
        "All three parse with the stdlib's expat, which expands internal entities and "
        "has no depth limit: core's `parse_call` refuses any `DOCTYPE`, deep nesting "
        "and out-of-range integers with a fault first, and calls over "
        "`--xmlrpc-max-body` get 413. Faults (unknown method, wrong arguments) come "
        "from core, so they are the same bytes everywhere; stock `XMLRPC` answers a "
        "wrong argument count with a logged traceback and `Fault(8002, 'error')`, the "
        "dispatcher with `Fault(1, \"<class 'TypeError'>:...\")`.",
    ),
}
