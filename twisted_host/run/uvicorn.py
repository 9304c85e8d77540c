"""The uvicorn child of `twistbridge serve`, seen from the parent: the same Starlette
app on the reference ASGI server, for side-by-side comparison
(`twisted_host.run.uvicorn_child` is what runs in the child)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, replace

from core.mounts import UVICORN_PREFIX
from core.settings import Settings
from twisted_host.run.process import die_with_parent
from twisted_host.run.tls import TLSFiles

AUTO_PORT = -1  # for `uvicorn_port`: any free port (tests use it); 0 means no uvicorn


@dataclass
class UvicornChild:
    """uvicorn serving the Starlette app in a child process."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    scheme: str = "http"
    served_chain: str | None = None  # its certificate file, over https

    @classmethod
    def start(
        cls, settings: Settings, host: str, port: int, tls: TLSFiles | None = None
    ) -> UvicornChild:
        # The socket is bound here: the port queues connections from now on, a port the
        # system chose is known at once, and the child serves it as `--fd`.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, max(port, 0)))
            sock.listen(1024)
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "twisted_host.run.uvicorn_child",
                    str(sock.fileno()),
                ],
                pass_fds=[sock.fileno()],
                env=dict(os.environ, TWISTBRIDGE_SETTINGS=settings.to_json())
                | ({"TWISTBRIDGE_TLS": tls.to_json()} if tls else {}),
                preexec_fn=die_with_parent if sys.platform == "linux" else None,
            )
            bound_host, bound_port = sock.getsockname()[:2]
        if tls is None:
            return cls(process, bound_host, bound_port)
        return cls(process, bound_host, bound_port, "https", str(tls.certfile))

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{UVICORN_PREFIX}/"

    def upstream_for(self, settings: Settings) -> Settings:
        """`settings` with this uvicorn's /asgi as the proxy's upstream, unless
        `--proxy-upstream` named one: the port is only known once it is bound."""
        if settings.upstream:
            return settings
        upstream = asgi_url(self.scheme, self.host, self.port)
        ca = settings.upstream_ca or self.served_chain
        return replace(settings, upstream=upstream, upstream_ca=ca)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def asgi_url(scheme: str, host: str, port: int) -> str:
    """The URL of the Starlette app that a server on host:port serves at /asgi."""
    authority = f"[{host}]" if ":" in host else host
    return f"{scheme}://{authority}:{port}{UVICORN_PREFIX}"
