"""The mounts: the one place that names them. The Site builds a resource for each
(`twisted_host.site`), the dashboard and `/stats` count requests by them, the compare
pages and the docs put their code side by side in this order, and the tests run the
contract over them and over uvicorn, the reference server for the ASGI app.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Interface(Enum):
    """How the mount's application is written, which decides how the Site hosts it."""

    NATIVE = "twisted.web"  # a resource tree, on the reactor thread
    WSGI = "WSGI"  # PEP 3333: WSGIResource on a thread pool
    ASGI = "ASGI"  # ASGI 3: the ASGI bridge, on the reactor's event loop


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

# The mounts of the Site, in the order every page and table lists them.
MOUNTS: tuple[Mount, ...] = (NATIVE, WSGI, ASGI)
MOUNT_NAMES: tuple[str, ...] = tuple(mount.name for mount in MOUNTS)
BY_NAME: dict[str, Mount] = {mount.name: mount for mount in MOUNTS}

# uvicorn serves the ASGI mount's app in a child process, at the same prefix, so that
# the bridge can be compared with the reference server request for request.
UVICORN = "uvicorn"
UVICORN_PREFIX = ASGI.prefix
UVICORN_LABEL = "Starlette on uvicorn"
# What the contract suite runs over: every mount of the Site, and uvicorn.
TARGETS: tuple[str, ...] = (*MOUNT_NAMES, UVICORN)
