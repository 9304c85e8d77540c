"""Which code implements each feature of the contract, on each mount: the classes,
functions and module-level tables `/compare/<feature>` and docs/MIGRATION.md show,
read from the running modules (`twisted_host.dashboard.compare`)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import asgi_app.app
import asgi_app.busy
import asgi_app.dynamic
import asgi_app.errors
import asgi_app.form
import asgi_app.live
import asgi_app.pages
import asgi_app.proxy
import asgi_app.static
import asgi_app.xmlrpc
import klein_app.app
import klein_app.busy
import klein_app.dynamic
import klein_app.errors
import klein_app.form
import klein_app.live
import klein_app.pages
import klein_app.proxy
import klein_app.static
import klein_app.xmlrpc
import twisted_host.native.app
import twisted_host.native.busy
import twisted_host.native.dynamic
import twisted_host.native.errors
import twisted_host.native.form
import twisted_host.native.live
import twisted_host.native.pages
import twisted_host.native.proxy
import twisted_host.native.static
import twisted_host.native.xmlrpc
import wsgi_app.app
import wsgi_app.busy
import wsgi_app.dynamic
import wsgi_app.errors
import wsgi_app.form
import wsgi_app.live
import wsgi_app.pages
import wsgi_app.proxy
import wsgi_app.static
import wsgi_app.xmlrpc


@dataclass(frozen=True)
class InModule:
    """A module-level name whose value `inspect` cannot trace back to its source: an
    assignment (Starlette's `routes = [...]`), or a function a decorator swallowed
    (Flask's `record_once` returns None). It is cut out of the module's syntax tree."""

    module: ModuleType
    name: str


Part = type | object  # a class, a function, or an InModule

_n = twisted_host.native
_w = wsgi_app
_a = asgi_app
_k = klein_app

# feature -> (native, wsgi, asgi, klein) parts, each in reading order.
IMPLEMENTED_BY: dict[str, tuple[tuple[Part, ...], ...]] = {
    "home": (
        (_n.pages.Home, _n.app.create_resource),
        (_w.pages.home, _w.app.create_app),
        (_a.pages.home, InModule(_a.pages, "routes"), _a.app.create_app),
        (_k.pages.Pages.home, _k.app.Features, _k.app.create_app),
    ),
    "about": (
        (_n.pages.About,),
        (_w.pages.about,),
        (_a.pages.about,),
        (_k.pages.Pages.about,),
    ),
    "not-found": (
        (_n.errors.Page, _n.errors.NotFound, _n.errors.render_or_405),
        (_w.errors.not_found, _w.errors.method_not_allowed, _w.errors.register),
        (_a.errors.http_error, InModule(_a.errors, "handlers")),
        (_k.errors.Routes, _k.errors.AppResource),
    ),
    "echo": (
        (_n.pages.Echo, _n.pages.echo_of),
        (_w.pages.echo, InModule(_w.pages, "_route_echo")),
        (_a.pages.echo, _a.pages.ASGIEndpoint, InModule(_a.pages, "routes")),
        (_k.pages.Pages.echo, _n.pages.echo_of),
    ),
    "hello": (
        (_n.pages.Hello,),
        (_w.pages.hello,),
        (_a.pages.hello,),
        (_k.pages.Pages.hello,),
    ),
    "static": (
        (_n.static.StaticFolder, _n.static.Listing),
        (_w.static._serve, _w.static.create_blueprint),
        (_a.static.StaticFolder, _a.static.create_routes),
        (_k.static.Static,),
    ),
    "static-dispatch": (
        (_n.static.create_static,),
        (_w.static.create_blueprint,),
        (_a.static.create_routes,),
        (_k.static.Static,),
    ),
    "clock": (
        (_n.dynamic.Clock,),
        (_w.dynamic.clock,),
        (_a.dynamic.clock, InModule(_a.dynamic, "routes")),
        (_k.dynamic.Dynamic.clock,),
    ),
    "calendar": (
        (_n.dynamic.Calendar, _n.dynamic.Year, _n.dynamic.create_calendar),
        (_w.dynamic.calendar, _w.dynamic.year),
        (_a.dynamic.calendar, _a.dynamic.year, InModule(_a.dynamic, "routes")),
        (_k.dynamic.Dynamic.calendar, _k.dynamic.Dynamic.year),
    ),
    "redirect": (
        (_n.dynamic.Now,),
        (_w.dynamic.now,),
        (_a.dynamic.now,),
        (_k.dynamic.Dynamic.now,),
    ),
    "form": (
        (_n.form.Form,),
        (_w.form.form, _w.form.submit),
        (_a.form.Form,),
        (_k.form.Form,),
    ),
    "busy": (
        (_n.busy._Wait, _n.busy.Busy),
        (_w.busy._seconds, _w.busy.busy),
        (_a.busy._seconds, _a.busy.busy),
        (_k.busy.Busy.seconds, _k.busy.Busy.busy),
    ),
    "busy-blocking": (
        (_n.busy.Blocking,),
        (_w.busy.blocking,),
        (_a.busy.blocking,),
        (_k.busy.Busy.blocking,),
    ),
    "busy-thread": (
        (_n.busy.Threaded,),
        (_w.busy.thread,),
        (_a.busy.thread,),
        (_k.busy.Busy.thread,),
    ),
    "ws": (
        (_n.live.Echo, _n.live.EchoFactory, _n.live.EchoSocket, _n.live.create_ws),
        (_w.live.ws, _w.live.upgrade_refused),
        (_a.live.ws, InModule(_a.live, "routes")),
        (_k.live.Live.ws,),
    ),
    "events": (
        (_n.live.Events, _n.live._Stream),
        (_w.live._ticks, _w.live.events),
        (_a.live._ticks, _a.live.events),
        (_k.live.Live.events,),
    ),
    "proxy": (
        (_n.proxy.Proxy, _n.proxy.Forward, _n.proxy.Relay),
        (_w.proxy.forward, _w.proxy._relay),
        (_a.proxy.forward, _a.proxy._relay, InModule(_a.proxy, "routes")),
        (_k.proxy.Forward.proxy,),
    ),
    "xmlrpc": (
        (_n.xmlrpc.XMLRPCPage,),
        (_w.xmlrpc.busy, _w.xmlrpc.create_dispatcher, _w.xmlrpc.xmlrpc),
        (_a.xmlrpc._body, _a.xmlrpc.create_routes),
        (_k.xmlrpc.create_dispatcher, _k.xmlrpc.XMLRPC.xmlrpc),
    ),
}
