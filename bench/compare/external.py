"""A deployment that is already running (`twistbridge compare --target URL`): the
nginx front of `deploy/nginx.conf`, a Kubernetes Service, another machine. Nothing
is started or stopped here; the mounts are where the URL's paths start."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.mounts import MOUNT_NAMES

# uvicorn is a child of one `serve`, on a port of its own: not behind a front.
EXTERNAL_TARGETS = MOUNT_NAMES


def is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass
class External:
    url: str
    pids: list[int] = field(default_factory=list)  # none of ours

    def base(self, target: str) -> str:
        if target not in EXTERNAL_TARGETS:
            raise ValueError(f"{target} is not served behind {self.url}")
        return f"{self.url.rstrip('/')}/{target}"

    def stop(self) -> None:
        """Nothing to stop: the deployment is not ours."""
