"""The application factory, as in Flask's tutorial."""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from core.settings import Settings
from wsgi_app import busy, dynamic, errors, form, live, pages, proxy, static, xmlrpc


def create_app(settings: Settings | None = None) -> Flask:
    """Create the Flask app that answers the contract under any mount prefix."""
    settings = settings or Settings()
    app = Flask(__name__, static_folder=None)  # /static/ is a feature here
    app.config.update(
        TWISTBRIDGE=settings,
        MAX_CONTENT_LENGTH=settings.max_body_size,
        MAX_FORM_PARTS=settings.max_form_fields,
        MAX_FORM_MEMORY_SIZE=settings.max_form_memory,
        # Twisted and Starlette answer OPTIONS with 405 like any method a page lacks.
        PROVIDE_AUTOMATIC_OPTIONS=False,
    )
    # Paths are matched as sent: no redirects that merge "//" into "/".
    app.url_map.merge_slashes = False
    # busy/thread's executor lives as long as the app: when the app is collected, or
    # at interpreter exit if it never is, its idle threads are told to stop. A sleep
    # in flight still ends on its own (a thread cannot be interrupted).
    workers = ThreadPoolExecutor(thread_name_prefix="busy-thread")
    app.extensions["busy-thread"] = workers
    weakref.finalize(app, workers.shutdown, wait=False)
    errors.register(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(
        static.create_blueprint(settings.static_root, settings.static_children)
    )
    app.register_blueprint(dynamic.bp)
    app.register_blueprint(form.bp)
    app.register_blueprint(busy.bp)
    app.register_blueprint(live.bp)
    app.register_blueprint(proxy.bp)
    app.register_blueprint(xmlrpc.bp)
    return app
