"""The chapter's features as a Starlette app (ASGI), one module per group of routes, in
the same order and under the same names as the native tree. `create_app` assembles it."""

from asgi_app.app import create_app

__all__ = ["create_app"]
