"""The mounts: the one place that names them. The Site builds a resource for each
(`twisted_host.site`), the dashboard and `/stats` count requests by them, the compare
pages and the docs put their code side by side in this order, and the tests run the
contract over them and over uvicorn, the reference server for the ASGI app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Interface(Enum):
    """How the mount's application is written, which decides how the Site hosts it."""

    NATIVE = "twisted.web"  # a resource tree, on the reactor thread
    WSGI = "WSGI"  # PEP 3333: WSGIResource on a thread pool
    ASGI = "ASGI"  # ASGI 3: the ASGI bridge, on the reactor's event loop
    # Klein: Werkzeug's routing as a twisted.web resource, mounted as it is, its
    # handlers on the reactor thread (Deferreds, coroutines run by ensureDeferred).
    KLEIN = "Klein"


@dataclass(frozen=True, slots=True)
class Mount:
    name: str
    interface: Interface
    label: str  # what serves it, as the dashboard's legend says it
    framework: str  # the heading of its column on the compare pages
    runs_on: str  # what a request runs on, in a phrase

    @property
    def mount(self) -> str:
        return self.name  # the compare pages' templates call a column's mount so

    @property
    def prefix(self) -> str:
        return f"/{self.name}"


NATIVE = Mount(
    "native",
    Interface.NATIVE,
    label="twisted.web",
    framework="twisted.web",
    runs_on="resources on the reactor thread",
)
WSGI = Mount(
    "wsgi",
    Interface.WSGI,
    label="Flask in WSGIResource",
    framework="Flask (WSGI)",
    runs_on="WSGIResource on a thread pool",
)
ASGI = Mount(
    "asgi",
    Interface.ASGI,
    label="Starlette on the ASGI bridge",
    framework="Starlette (ASGI)",
    runs_on="coroutines on the reactor's event loop",
)

KLEIN = Mount(
    "klein",
    Interface.KLEIN,
    label="Klein on the reactor",
    framework="Klein",
    runs_on="route handlers on the reactor thread: Deferreds, coroutines",
)

# The mounts of the Site, in the order every page and table lists them.
MOUNTS: tuple[Mount, ...] = (NATIVE, WSGI, ASGI, KLEIN)
MOUNT_NAMES: tuple[str, ...] = tuple(mount.name for mount in MOUNTS)
BY_NAME: dict[str, Mount] = {mount.name: mount for mount in MOUNTS}

# uvicorn serves the ASGI mount's app in a child process, at the same prefix, so that
# the bridge can be compared with the reference server request for request.
UVICORN = "uvicorn"
UVICORN_PREFIX = ASGI.prefix
UVICORN_LABEL = "Starlette on uvicorn"
# What the contract suite runs over: every mount of the Site, and uvicorn.
TARGETS: tuple[str, ...] = (*MOUNT_NAMES, UVICORN)

# A user's app joins the Site at a prefix of its own (`twistbridge serve --wsgi
# /legacy=pkg.wsgi:application`): a Mount built here, at run time, beside the demo ones.
# The names the Site's own pages take (`twisted_host.site`), and the figures' name
# for the rest of the Site (`twisted_host.dashboard.stats`), are no prefix for an app.
RESERVED: tuple[str, ...] = ("stats", "compare", "site")
# Letters, digits, "_" and "-": a prefix is also a key of `/stats` and a CSS class.
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


def user_mount(prefix: str, interface: Interface, label: str) -> Mount:
    """The mount of a user's app at `prefix` ("/api", "/api/v1"); ValueError (one
    line, for the command line) when the prefix cannot be one."""
    segments = prefix.rstrip("/").split("/")
    if prefix.startswith("/") and len(segments) < 2:
        raise ValueError("/ is the dashboard's: give the app a prefix such as /app")
    if not prefix.startswith("/"):
        raise ValueError(f"{prefix!r} is not a path prefix such as /api")
    bad = [s for s in segments[1:] if not _SEGMENT.fullmatch(s)]
    if bad:
        raise ValueError(
            f"{prefix!r}: a prefix's segments take letters, digits, '_' and '-' only"
        )
    if segments[1] in RESERVED:
        raise ValueError(f"{prefix!r}: /{segments[1]} is the Site's own")
    runs_on = {
        Interface.WSGI: "a WSGI thread pool of its own",
        Interface.ASGI: "coroutines on the reactor's event loop",
        Interface.NATIVE: "resources on the reactor thread",
        Interface.KLEIN: "route handlers on the reactor thread",
    }[interface]
    return Mount(
        "/".join(segments[1:]), interface, label, interface.value, runs_on=runs_on
    )


def overlapping(mounts: list[Mount]) -> str | None:
    """Why these mounts cannot share one Site (a prefix taken twice, or inside
    another), or None."""
    taken: dict[tuple[str, ...], Mount] = {}
    for mount in mounts:
        segments = tuple(mount.name.split("/"))
        for depth in range(1, len(segments) + 1):
            other = taken.get(segments[:depth])
            if other is not None and other.prefix == mount.prefix:
                return f"{mount.prefix} is taken by {other.label}"
            if other is not None:
                return f"{mount.prefix} is inside {other.prefix}"
        for path, other in taken.items():
            if path[: len(segments)] == segments:
                return f"{other.prefix} is inside {mount.prefix}"
        taken[segments] = mount
    return None
