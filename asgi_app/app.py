"""The application factory: routes from each module, in the contract's order."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Router

from asgi_app import busy, dynamic, errors, form, live, pages, proxy, static, xmlrpc
from core.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    """Create the Starlette app that answers the contract under any mount prefix."""
    settings = settings or Settings()
    app = Starlette(
        routes=[
            *pages.routes,
            *static.create_routes(settings.static_root, settings.static_children),
            *dynamic.routes,
            *form.routes,
            *busy.routes,
            *live.routes,
            *proxy.routes,
            *xmlrpc.create_routes(settings),
        ],
        exception_handlers=errors.handlers,
    )
    app.state.settings = settings
    # `/about/` is not `/about` on the other mounts either: no slash redirects.
    assert isinstance(app.router, Router)
    app.router.redirect_slashes = False
    return app
