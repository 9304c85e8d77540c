"""The application: every module's routes bound to one instance, in the contract's
order (as Flask's `create_app` registers its blueprints)."""

from __future__ import annotations

from klein import Klein

from core.settings import Settings
from klein_app.busy import Busy
from klein_app.dynamic import Dynamic
from klein_app.errors import AppResource
from klein_app.form import Form
from klein_app.live import Live
from klein_app.pages import Pages
from klein_app.proxy import Forward
from klein_app.static import Static
from klein_app.xmlrpc import XMLRPC


class Features(Pages, Static, Dynamic, Form, Busy, Live, Forward, XMLRPC):
    """The routes of every module; `self.settings` for each handler."""


def create_app(settings: Settings | None = None) -> Klein:
    """Create the Klein app that answers the contract under any mount prefix."""
    return Features(settings or Settings()).app


def create_resource(settings: Settings | None = None) -> AppResource:
    """The app as the `twisted.web` resource the Site mounts (`Klein.resource()`)."""
    return AppResource(create_app(settings))
