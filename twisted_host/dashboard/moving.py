"""Moving an existing Flask, Django or FastAPI app under Twisted: the section of the
compare index (`/compare/#moving`) and of docs/MIGRATION.md, written once for both.

Like the notes, text is Markdown with inline `code` only; code blocks are Python.
"""

from __future__ import annotations

from dataclasses import dataclass

TITLE = "Moving an existing Flask, Django or FastAPI app under Twisted"
ANCHOR = "moving"


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    table: tuple[tuple[str, str, str], ...] = ()  # the first row is the heading
    bullets: tuple[str, ...] = ()
    code: str = ""  # Python


INTRO = (
    "An app keeps its code: `twistbridge serve --wsgi PREFIX=MODULE:ATTR` and "
    "`--asgi PREFIX=MODULE:ATTR` host any WSGI or ASGI app on the Twisted Site, beside "
    "the chapter's mounts or alone (`--no-demo`), with the edge's limits, the access "
    "log and a line of live figures on the dashboard. Under Twisted the app can then "
    "share its process with `twisted.web` resources and any Twisted protocol, whose "
    "reactor runs the ASGI apps' event loop."
)

SECTIONS: tuple[Section, ...] = (
    Section(
        "The command",
        paragraphs=(
            "Run it from the project's folder (or pass `--app-dir`), where you ran "
            "gunicorn or uvicorn; `MODULE:ATTR` is imported as `uvicorn` imports it.",
        ),
        table=(
            ("app", "before", "under Twisted"),
            (
                "Flask",
                "`gunicorn myapp:app`",
                "`twistbridge serve --no-demo --wsgi /app=myapp:app`",
            ),
            (
                "Flask, app factory",
                "`gunicorn 'myapp:create_app()'`",
                "`twistbridge serve --no-demo --factory --wsgi /app=myapp:create_app`",
            ),
            (
                "Django, WSGI",
                "`gunicorn mysite.wsgi:application`",
                "`twistbridge serve --no-demo --wsgi /site=mysite.wsgi:application`",
            ),
            (
                "Django, ASGI",
                "`uvicorn mysite.asgi:application`",
                "`twistbridge serve --no-demo --asgi /site=mysite.asgi:application`",
            ),
            (
                "FastAPI",
                "`uvicorn main:app --root-path /api`",
                "`twistbridge serve --no-demo --asgi /api=main:app`",
            ),
        ),
    ),
    Section(
        "The prefix",
        paragraphs=(
            "The Site's `/` is the dashboard and `/stats` its figures, so an app takes a "
            "prefix of its own, which it sees as `SCRIPT_NAME` under WSGI and as "
            "`root_path` under ASGI, as gunicorn with `SCRIPT_NAME` and uvicorn with "
            "`--root-path` show it: Flask's `url_for`, Django's `reverse` and FastAPI's "
            "`/docs` build their links under it with no change to the app. Several apps "
            "take several prefixes (`--wsgi /site=... --asgi /api=...`), each with its "
            "line of figures, keyed by the prefix in `/stats`.",
        ),
    ),
    Section(
        "What to check",
        bullets=(
            "Request bodies: the edge answers 413 for a body over `--max-body-size` "
            "(1 MiB, nginx's default) before the app sees it; raise it for uploads "
            "(Django's own `DATA_UPLOAD_MAX_MEMORY_SIZE` is 2.5 MiB).",
            "Threads: each WSGI app has a pool of its own of `--wsgi-threads` (10), and "
            "`--wsgi-queue` requests may wait for a thread (then 503); match it to "
            "gunicorn's workers times threads. A slow view holds a pool thread, never the "
            "reactor; gunicorn's `--timeout`, which kills a stuck worker, has no "
            "counterpart.",
            "The event loop: ASGI apps run on the reactor's asyncio loop (uvloop), "
            "shared with every mount: a blocking call inside `async def` stalls them "
            "all, as it stalls a uvicorn worker. Hand it to a thread "
            "(`run_in_threadpool`, Django's `sync_to_async`).",
            "Lifespan: an ASGI app's startup and shutdown run with the reactor's, as "
            "uvicorn's `--lifespan auto`; an app without lifespan support (Django's "
            "handler) is served without it, and a failed startup stops the server.",
            "Behind a proxy: `--proxy-headers` is on and trusts `127.0.0.1,::1`, as "
            "uvicorn; name the proxy with `--forwarded-allow-ips` so that apps see the "
            "client's address and scheme (`REMOTE_ADDR`, `wsgi.url_scheme`, the scope's "
            "`client` and `scheme`).",
            "Where the bridges still answer differently from gunicorn and uvicorn, "
            "`tests/twisted_host/bridges/test_real_apps.py` says so: it serves a "
            "FastAPI app, a Django project through both handlers and a Flask app under "
            "`wsgiref.validate` on both, and lists each difference as an expected "
            "failure named after it.",
        ),
    ),
    Section(
        "Calling Twisted from the app",
        paragraphs=(
            "An ASGI app runs on the reactor's own event loop, so a Deferred is one "
            "`asFuture` away; a WSGI view runs on a pool thread and waits for the "
            "reactor with `blockingCallFromThread`:",
        ),
        code="""\
import asyncio

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.internet.threads import blockingCallFromThread


async def asgi_endpoint(request):  # FastAPI, Starlette, Django async views
    loop = asyncio.get_running_loop()
    return await deferLater(reactor, 0.1, lambda: "from the reactor").asFuture(loop)


def wsgi_view(request):  # Flask, Django views: on a pool thread
    return blockingCallFromThread(reactor, deferLater, reactor, 0.1, lambda: "ok")
""",
    ),
    Section(
        "Or route by route: the strangler fig",
        paragraphs=(
            "When the old app cannot move in one step, put the Twisted Site in front "
            "of the server it runs on and let `/proxy` forward everything to it; "
            "then take its routes over one at a time, each a resource or a mount of "
            "the Site, while the rest still reach the old server. Clients see one "
            "address throughout, and the old server shrinks until it can be turned "
            "off.",
            "Forwarded requests carry `X-Forwarded-For`, `-Proto` and `-Host`, so "
            "the old app still sees who asked (with its own proxy-headers setting "
            "trusting the Site); hop-by-hop headers stop at the Site; an old server "
            "that is down answers 502, one slower than `--proxy-timeout` 504. On "
            "`/wsgi` every proxied request holds a pool thread until the old server "
            "has answered in full: front it from `/native` or `/asgi`.",
        ),
        code="""\
# The whole old server first: twistbridge serve --proxy-upstream http://127.0.0.1:8080
#   GET /native/proxy/orders/42  ->  GET http://127.0.0.1:8080/orders/42
# Then a front of your own, a route taken over:
from twisted.web.resource import Resource

from core.settings import Settings
from twisted_host.hosting import resource
from twisted_host.native.proxy import Proxy
from twisted_host.run.main import run

from shop.orders import Orders  # the route rewritten for twisted.web

settings = Settings(upstream="http://127.0.0.1:8080", upstream_timeout=30)
root = Resource()
root.putChild(b"legacy", Proxy(settings))  # /shop/legacy/<path>: the old /<path>
root.putChild(b"orders", Orders())  # /shop/orders: served here now
run(settings, apps=[resource("/shop", root)], demo=False)
""",
    ),
    Section(
        "From Python",
        paragraphs=(
            "The same, for a program that builds its own settings and apps "
            "(`twisted_host.site.build_site` gives the Site alone, to listen where you "
            "like):",
        ),
        code="""\
from core.settings import Settings
from twisted_host.hosting import asgi, wsgi
from twisted_host.run.main import run

from mysite.wsgi import application
from main import app

run(
    Settings(max_body_size=16 * 1024 * 1024),
    apps=[wsgi("/site", application), asgi("/api", app)],
    demo=False,
)
""",
    ),
)
