"""The chapter's features as a Flask app (WSGI), one blueprint per module, in the same
order and under the same names as the native tree. `create_app` assembles it."""

from wsgi_app.app import create_app

__all__ = ["create_app"]
