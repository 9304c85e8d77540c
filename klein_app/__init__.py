"""The chapter's features as a Klein app: Flask's route decorators (Klein is Werkzeug's
routing on `twisted.web`) with handlers that run on the reactor and may return
Deferreds or coroutines. One module per group of routes, in the same order and under
the same names as the native tree. `create_app` assembles it.

What it imports besides core: Klein hosts `twisted.web` resources, so where a route's
answer is a resource of its own (a static folder, a WebSocket, the reverse proxy) it
returns the native tree's, `twisted_host.native.static`, `.live` and `.proxy`: the
same Twisted objects, served through a Klein route, rather than a copy of them; and
the echo, whose request is the same `twisted.web` request, is `native.pages`'
`echo_of`. Nothing else of the native tree, and nothing of the other apps, is used.
"""

from klein_app.app import create_app, create_resource

__all__ = ["create_app", "create_resource"]
