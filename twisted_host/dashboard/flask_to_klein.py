"""Flask → Klein: what a Flask app changes to run its handlers on the reactor (the
`/klein` mount, `klein_app/`), for the compare index and docs/MIGRATION.md.

Markdown with inline `code` only, as the notes (`twisted_host.dashboard.notes`).
"""

from __future__ import annotations

ANCHOR = "flask-to-klein"
TITLE = "Flask → Klein"
INTRO = (
    "Klein is Werkzeug's routing (Flask's) on `twisted.web`: the route decorators a "
    "Flask app has stay, and its handlers run on the reactor, where they may return "
    "a `Deferred` or be an `async def` that awaits one. It is the move that gets a "
    "Flask app Twisted's concurrency without rewriting it into a resource tree: "
    "compare the `/wsgi` and `/klein` columns of any `/compare/<feature>` page. "
    "The handlers are no longer on a thread of their own: a blocking call in one "
    "stalls the whole process (`/klein/busy/blocking`), so each such call moves to "
    "`deferToThread` or becomes a Deferred."
)

# (concept, Flask, Klein)
ROWS: tuple[tuple[str, str, str], ...] = (
    (
        "The app",
        "`app = Flask(__name__)`; blueprints per module",
        "`app = Klein()`; here a class attribute, so that `Features(settings).app` "
        "binds every route to one instance (`self.settings`)",
    ),
    (
        "A route",
        '`@bp.get("/about")`, a view returning `str`',
        '`@app.route("/about", methods=["GET"])`, a handler taking the `twisted.web` '
        "request and returning `bytes` or `str`",
    ),
    (
        "The request",
        "the `request` proxy of the request context",
        "the first argument: `twisted.web`'s `Request` (`request.args`, "
        "`request.content`, `request.setHeader`)",
    ),
    (
        "A path and everything below it",
        "a second rule with `<path:rest>`",
        "`branch=True`",
    ),
    (
        "Waiting",
        "`time.sleep(seconds)`, holding a pool thread",
        "return `deferLater(reactor, seconds, f)`, or `await` it in an `async def`",
    ),
    (
        "A blocking call",
        "already on a thread (of a bounded pool)",
        "`await deferToThread(f, *args)`; on the reactor it would stall every request",
    ),
    (
        "Coroutines",
        "`async def` views run one at a time on a thread's own loop",
        "run by `ensureDeferred`: they await Deferreds, not asyncio's futures",
    ),
    (
        "Errors",
        "`app.register_error_handler(404, handler)`",
        "`@app.handle_errors(NotFound)`, the handler taking `(request, failure)`",
    ),
    (
        "A redirect",
        '`url_for("dynamic.year", segment=...)`',
        '`IKleinRequest(request).url_for("year", {"segment": ...})`, the mount '
        "prefix from `request.prepath`",
    ),
    (
        "Forms",
        '`request.form.get("form-field")`',
        "the body is in `request.content`; Werkzeug's `FormDataParser` reads it",
    ),
    (
        "Static files, a WebSocket",
        "`send_from_directory`; no WebSocket under WSGI",
        "return a `twisted.web` resource from the route (`static.File`, "
        "`WebSocketResource`): Klein renders it for the rest of the path",
    ),
    (
        "A stream that stays open",
        "return a generator; it holds a pool thread",
        "`request.write()` in an `async def`, awaiting `deferLater` between events",
    ),
    (
        "The client went away",
        "not seen until the view writes",
        "Klein cancels the handler's Deferred: the `await` raises `CancelledError`",
    ),
)
