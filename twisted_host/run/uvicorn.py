"""The uvicorn child of `twistbridge serve`, seen from the parent: the same Starlette
app on the reference ASGI server, for side-by-side comparison
(`twisted_host.run.uvicorn_child` is what runs in the child;
`twisted_host.run.uvicorn_keeper` restarts it when it dies)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field, replace

from core.mounts import UVICORN_PREFIX
from core.settings import Settings
from twisted_host.run.process import die_with_parent
from twisted_host.run.tls import TLSFiles

AUTO_PORT = -1  # for `uvicorn_port`: any free port (tests use it); 0 means no uvicorn


@dataclass
class UvicornChild:
    """uvicorn serving the Starlette app in a child process, on a socket bound here
    and kept open here: a new child serves the same port, and connections wait in
    its queue while none runs, rather than being refused."""

    sock: socket.socket
    env: dict[str, str]  # the child's: the settings and the certificate
    host: str
    port: int
    scheme: str = "http"
    served_chain: str | None = None  # its certificate file, over https
    process: subprocess.Popen[bytes] = field(init=False)
    ready_fd: int = field(init=False)  # readable once the child serves (a line)
    stopping: bool = field(init=False, default=False)

    @classmethod
    def start(
        cls,
        settings: Settings,
        host: str,
        port: int,
        tls: TLSFiles | None = None,
        fd: int | None = None,
    ) -> UvicornChild:
        """A child on host:port, or on the listening socket `fd` (a restart's)."""
        # Bound here: the port queues connections from now on, and a port the system
        # chose is known at once; the child serves it as a socket it inherits.
        sock = socket.socket(fileno=fd) if fd is not None else _bound(host, port)
        sock.set_inheritable(False)  # a restart's was; each child gets it by pass_fds
        env = dict(os.environ, TWISTBRIDGE_SETTINGS=settings.to_json())
        if tls is not None:
            env["TWISTBRIDGE_TLS"] = tls.to_json()
        bound_host, bound_port = sock.getsockname()[:2]
        if tls is None:
            child = cls(sock, env, bound_host, bound_port)
        else:
            chain = str(tls.certfile)
            child = cls(sock, env, bound_host, bound_port, "https", chain)
        child.spawn()
        return child

    def spawn(self) -> None:
        """Start a child process on the socket (the first, or one after a death)."""
        ready_read, ready_write = os.pipe()
        os.set_inheritable(ready_read, False)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "twisted_host.run.uvicorn_child",
                str(self.sock.fileno()),
                str(ready_write),
            ],
            pass_fds=[self.sock.fileno(), ready_write],
            env=self.env,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        os.close(ready_write)
        self.ready_fd = ready_read

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

    def terminate(self) -> None:
        """Ask the child to stop (SIGTERM: uvicorn's graceful stop); it is not
        restarted from now on."""
        self.stopping = True
        if self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        """Stop the child, waiting for it (8 s, then SIGKILL). The socket stays open
        until this process ends, or is handed to the one a restart executes."""
        self.terminate()
        try:
            self.process.wait(timeout=8)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _bound(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, max(port, 0)))
    sock.listen(1024)
    return sock


def asgi_url(scheme: str, host: str, port: int) -> str:
    """The URL of the Starlette app that a server on host:port serves at /asgi."""
    authority = f"[{host}]" if ":" in host else host
    return f"{scheme}://{authority}:{port}{UVICORN_PREFIX}"
