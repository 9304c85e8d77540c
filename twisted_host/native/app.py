"""The native tree: one `putChild` per feature, in the contract's order."""

from __future__ import annotations

from core.settings import Settings
from twisted_host.native.busy import create_busy
from twisted_host.native.dynamic import Clock, create_calendar
from twisted_host.native.form import Form
from twisted_host.native.live import Events, create_ws
from twisted_host.native.pages import About, Echo, Hello, Home
from twisted_host.native.proxy import Proxy
from twisted_host.native.static import create_static
from twisted_host.native.xmlrpc import XMLRPCPage


def create_resource(settings: Settings) -> Home:
    root = Home()
    # The mount's path answers home with or without its trailing slash.
    root.putChild(b"", root)
    root.putChild(b"about", About())
    root.putChild(b"echo", Echo())
    root.putChild(b"hello", Hello())
    root.putChild(
        b"static", create_static(settings.static_root, settings.static_children)
    )
    root.putChild(b"clock", Clock())
    root.putChild(b"calendar", create_calendar())
    root.putChild(b"form", Form(settings))
    root.putChild(b"busy", create_busy(settings))
    root.putChild(b"ws", create_ws(settings))
    root.putChild(b"events", Events())
    root.putChild(b"proxy", Proxy(settings))
    root.putChild(b"xmlrpc", XMLRPCPage(settings))
    return root
