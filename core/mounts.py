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
        return f"/{self.name}"  # "/" for the root, whose name is ""


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
# /legacy=pkg.wsgi:application`), or at the root ("/", as uvicorn serves an app): a
# Mount built here, at run time, beside the demo ones. Prefixes may nest ("/" and
# "/api", "/api" and "/api/v1"): a request goes to the most specific one.
# "site" is the figures' name for the rest of the Site (`twisted_host.dashboard.stats`),
# no prefix for an app.
RESERVED: tuple[str, ...] = ("site",)
# Letters, digits, "_" and "-": a prefix is also a key of `/stats` and a CSS class.
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_RUNS_ON = {
    Interface.WSGI: "a WSGI thread pool of its own",
    Interface.ASGI: "coroutines on the reactor's event loop",
    Interface.NATIVE: "resources on the reactor thread",
    Interface.KLEIN: "route handlers on the reactor thread",
}


def segments_of(prefix: str) -> list[str]:
    """ "/api/v1" as ["api", "v1"], "/" as []; ValueError (one line, for the command
    line) when the prefix cannot be one."""
    if not prefix.startswith("/"):
        raise ValueError(f"{prefix!r} is not a path prefix such as /api")
    segments = prefix.strip("/").split("/") if prefix.strip("/") else []
    bad = [s for s in segments if not _SEGMENT.fullmatch(s)]
    if bad:
        raise ValueError(
            f"{prefix!r}: a prefix's segments take letters, digits, '_' and '-' only"
        )
    return segments


def user_mount(prefix: str, interface: Interface, label: str) -> Mount:
    """The mount of a user's app at `prefix` ("/", "/api", "/api/v1"); ValueError
    (one line, for the command line) when the prefix cannot be one. The root's name
    is "" (its prefix "/")."""
    segments = segments_of(prefix)
    if segments and segments[0] in RESERVED:
        raise ValueError(f"{prefix!r}: /{segments[0]} is the Site's own")
    name = "/".join(segments)
    return Mount(name, interface, label, interface.value, runs_on=_RUNS_ON[interface])


# The Site's own pages, under the dashboard's prefix (`--dashboard`; "" is its
# index, as "/dash/" is) and under the ops endpoints' (`--ops-prefix`).
DASHBOARD_PAGES: tuple[str, ...] = ("", "stats", "compare", "race", "live")
OPS_PAGES: tuple[str, ...] = ("metrics", "healthz", "readyz")


def taken_by_site(mount: Mount, dashboard: str | None, ops: str | None) -> str | None:
    """Why the Site's own pages (the dashboard at `dashboard`, the ops endpoints at
    `ops`; None: not on this port) leave no room for `mount`, or None."""
    where = tuple(segments_of(mount.prefix))
    for owner, prefix, pages in (
        ("the dashboard's", dashboard, DASHBOARD_PAGES),
        ("an ops endpoint's", ops, OPS_PAGES),
    ):
        if prefix is None:
            continue
        at = tuple(segments_of(prefix))
        if where in {(*at, page) for page in pages if page}:
            return f"{mount.prefix} is {owner} (move it: --dashboard, --ops-prefix)"
    return None


def overlapping(mounts: list[Mount]) -> str | None:
    """Why these mounts cannot share one Site (a prefix taken twice), or None.
    Nested prefixes can: the most specific one answers."""
    taken: dict[str, Mount] = {}
    for mount in mounts:
        other = taken.get(mount.name)
        if other is not None:
            return f"{mount.prefix} is taken by {other.label}"
        taken[mount.name] = mount
    return None
