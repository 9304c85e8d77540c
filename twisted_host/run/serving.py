"""One process serving the Site (the whole server, or one worker of `--workers N`):
what `run.main.start_site` built, run until it stops, with the signals an operator
sends it (see docs/DEPLOY.md, "Signals")."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from twisted.internet.asyncioreactor import AsyncioSelectorReactor

from twisted_host.run.process import Listener, say
from twisted_host.run.restart import SITE, UVICORN
from twisted_host.run.uvicorn_keeper import UvicornKeeper

if TYPE_CHECKING:
    from twisted_host.http.shutdown import GracefulShutdown
    from twisted_host.site import Hosted


@dataclass(frozen=True)
class Serving:
    """One process serving the Site: what `serve` runs, stops and restarts."""

    hosted: Hosted
    listener: Listener
    shutdown: GracefulShutdown
    uvicorn: UvicornKeeper | None

    def sockets(self) -> dict[str, int]:
        """The listening sockets a restart hands down."""
        assert self.shutdown.port is not None  # a restart needs it listening
        found = {SITE: self.shutdown.port.fileno()}  # type: ignore[attr-defined]
        if self.uvicorn is not None:
            found[UVICORN] = self.uvicorn.child.sock.fileno()
        return found


def serve(reactor: AsyncioSelectorReactor, serving: Serving, *, restart: bool) -> int:
    """Run the reactor until the Site stops; the process's exit status. SIGUSR1
    reopens the log files; SIGHUP restarts in place (`restart`: `run` then executes
    the process again) or, in a worker, stops gracefully (its supervisor starts a new
    one at once)."""
    from twisted_host.run.log_files import reopen_on_usr1

    reopen_on_usr1(reactor, serving.hosted.site.access_log)
    on_hup = serving.shutdown.restart if restart else serving.shutdown.begin

    def hup(signum: int, frame: FrameType | None) -> None:
        reactor.callFromThread(on_hup)

    signal.signal(signal.SIGHUP, hup)
    reactor.run()
    return exit_status(serving.hosted, serving.listener)


def startup_error(hosted: Hosted) -> str | None:
    for bridge in hosted.asgi:
        if bridge.startup_error is not None:
            return str(bridge.startup_error)
    return None


def exit_status(hosted: Hosted, listener: Listener) -> int:
    """The exit status once the reactor has stopped: 1 when the Site never served
    (its port could not be opened, an ASGI app failed to start), saying why."""
    error = startup_error(hosted)
    if error is not None:
        say(f"ASGI startup failed: {error}")
        return 1
    return listener.status
