"""One worker of `twistbridge serve --workers N`: the whole Site, serving the
listening socket its supervisor bound and passed down.

    python -m twisted_host.run.worker LISTEN_FD READY_FD UVICORN_PORT ACCESS_LOG ADMIN_FD

The settings come as JSON in `TWISTBRIDGE_SETTINGS` (as for the uvicorn child), with
the apps to import (`--wsgi`, `--asgi`), and the certificate in `TWISTBRIDGE_TLS`. The
worker says it listens by writing a line to READY_FD rather than printing the ready
line: the supervisor prints that one, once for all; standard output is the access
log. UVICORN_PORT is the supervisor's uvicorn (0: none), for the dashboard's links.
ACCESS_LOG is `off`, `-` (standard output) or the absolute path of a file, which the
worker opens itself, appending, so that it can open it again on SIGUSR1. ADMIN_FD is
the admin listener's socket (-1: none).
"""

from __future__ import annotations

import os
import socket
import sys
from typing import TextIO

from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.interfaces import IListeningPort

from core.settings import Settings
from twisted_host.run.process import Listener, die_with_parent, hold_signals
from twisted_host.run.reactor import install_asyncio_reactor

SETTINGS_VARIABLE = "TWISTBRIDGE_SETTINGS"
TLS_VARIABLE = "TWISTBRIDGE_TLS"  # the certificate files, as for the uvicorn child
OFF = "off"  # ACCESS_LOG: none


class _ReadyPipe(Listener):
    """Tells the supervisor, not the terminal, that this worker listens."""

    def __init__(self, reactor: AsyncioSelectorReactor, fd: int) -> None:
        super().__init__(reactor, "twistbridge worker", f"inherited socket {fd}")
        self.fd = fd

    def ready(self, port: IListeningPort, suffix: str = "") -> None:
        os.write(self.fd, f"ready {os.getpid()}\n".encode())

    def recycle(self) -> None:
        """--limit-max-requests reached: ask for a replacement, serving meanwhile
        (the supervisor sends SIGTERM once the new worker listens)."""
        os.write(self.fd, f"recycle {os.getpid()}\n".encode())


def main(argv: list[str]) -> int:
    die_with_parent()  # a supervisor killed with SIGKILL leaves no worker behind
    # Until it serves; a SIGUSR1 meanwhile, the supervisor sends again then.
    hold_signals()
    # Out of the terminal's process group: Ctrl-C reaches the supervisor alone, which
    # passes one SIGTERM on (two would be the "exit at once" signal).
    os.setpgid(0, 0)
    listen_fd, ready_fd, uvicorn_port = (int(arg) for arg in argv[:3])
    access_log = _access_log(argv[3])
    admin_fd = int(argv[4])
    settings = Settings.from_json(os.environ.get(SETTINGS_VARIABLE, "{}"))
    from twisted_host.run.logging_setup import configure

    configure(settings.log_level, settings.log_config)  # the supervisor read it once
    reactor = install_asyncio_reactor()
    from twisted_host.hosting import configured_apps
    from twisted_host.http.h2 import ALPN
    from twisted_host.http.transport import SoonInheritedEndpoint
    from twisted_host.run.loader import LoadError
    from twisted_host.run.main import start_site
    from twisted_host.run.serving import serve
    from twisted_host.run.tls import TLSFiles, certificate_options

    try:
        apps = configured_apps(settings)  # the supervisor checked the specs
    except LoadError as bad:
        print(f"twistbridge worker: {bad}", file=sys.stderr, flush=True)
        return 2
    tls = os.environ.get(TLS_VARIABLE)
    options = certificate_options(TLSFiles.from_json(tls), ALPN) if tls else None

    listener = _ReadyPipe(reactor, ready_fd)
    serving = start_site(
        reactor,
        settings,
        SoonInheritedEndpoint(reactor, listen_fd, _family(listen_fd)),
        listener,
        apps=apps,
        uvicorn_port=uvicorn_port or None,
        tls_options=options,
        access_log=access_log,
        on_max_requests=listener.recycle,
        admin_endpoint=SoonInheritedEndpoint(reactor, admin_fd, _family(admin_fd))
        if admin_fd >= 0
        else None,
    )
    return serve(reactor, serving, restart=False)


def _access_log(argument: str) -> TextIO | None:
    if argument == OFF:
        return None
    return sys.stdout if argument == "-" else open(argument, "a")


def _family(fd: int) -> socket.AddressFamily:
    with socket.socket(fileno=os.dup(fd)) as probe:
        return probe.family  # IPv4 or IPv6, as the supervisor bound it


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
