"""twistbridge as a `twistd` plugin, the Web HOWTO's way to deploy: `twistd -n
twistbridge --port 8000` and `twist twistbridge ...` run the Site `twistbridge serve`
runs, with the same flags, parsed by the same click command (`serve --help` lists
them; `twistd twistbridge --help` shows the same text).

The plugin module twistd finds is `twisted/plugins/twistbridge_plugin.py`, a
`ServiceMaker` naming this module, so that listing plugins imports nothing of ours.

The Site needs Twisted's asyncio reactor (the ASGI bridge runs coroutines on its
loop): parsing the options installs it, as twistd's own `--reactor` does, before
twistd would install its default; naming another reactor (`twistd --reactor epoll
twistbridge`) is a usage error. twistd runs the reactor and writes the log (`-n`:
to standard output); `--workers` is `twistbridge serve`'s alone (one twistd, one
process); SIGTERM stops the Site as gracefully as under `serve`, uvicorn with it,
and SIGUSR1 reopens the access log as well as rotating twistd's log file.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click
from twisted.application.service import IService, Service
from twisted.python import usage

from twisted_host.cli import serve
from twisted_host.cli_plan import ServePlan, serve_plan

if TYPE_CHECKING:
    from twisted_host.run.process import Listener
    from twisted_host.site import Hosted

NAME = "twistbridge"


class Options(usage.Options):
    """`twistbridge serve`'s flags: click parses them, not `usage.Options`."""

    synopsis = "[options of `twistbridge serve`]"

    def parseOptions(self, options: Sequence[str] | None = None) -> None:
        args = list(options or [])
        try:
            # Not `with`: leaving the context would close the access log file
            # (`--access-log-file`), which the service writes to from its start.
            ctx = serve.make_context(f"twistd {NAME}", args)
            plan = serve_plan(**ctx.params)
        except click.exceptions.Exit as done:  # --help
            raise SystemExit(done.exit_code) from None
        except click.ClickException as bad:
            raise usage.UsageError(bad.format_message()) from None
        for flag, given in (
            ("--workers", plan.workers > 1),
            ("--reload", plan.settings.reload),
        ):
            if given:
                raise usage.UsageError(
                    f"{flag}: twistd runs one process; use `twistbridge serve {flag}`"
                )
        from twisted_host.run.reactor import install_asyncio_reactor

        try:
            install_asyncio_reactor()
        except RuntimeError as other:
            raise usage.UsageError(str(other)) from None
        self["plan"] = plan

    def getUsage(self, width: int | None = None) -> str:
        with serve.make_context(f"twistd {NAME}", [], resilient_parsing=True) as ctx:
            return serve.get_help(ctx)


class SiteService(Service):
    """The Site of `twistbridge serve`, started when twistd starts its services:
    after it has daemonized, so that uvicorn is the child of the daemon."""

    name = NAME

    def __init__(self, plan: ServePlan) -> None:
        self.plan = plan

    def startService(self) -> None:
        from twisted_host.run.log_files import reopen_on_usr1
        from twisted_host.run.main import start
        from twisted_host.run.reactor import install_asyncio_reactor

        super().startService()
        plan = self.plan
        reactor = install_asyncio_reactor()  # installed already: the options did it
        serving = start(
            reactor,
            plan.settings,
            host=plan.host,
            port=plan.port,
            endpoint=plan.endpoint,
            uvicorn_port=plan.uvicorn_port,
            access_log=plan.access_log,
            apps=plan.apps,
            demo=plan.settings.demo,
            tls=plan.tls,
        )
        # The access log reopens on SIGUSR1 as under `serve` (and twistd's own log
        # file still rotates: its handler is called too).
        reopen_on_usr1(reactor, serving.hosted.site.access_log)
        atexit.register(_exit_as_serve, serving.hosted, serving.listener)


def _exit_as_serve(hosted: Hosted, listener: Listener) -> None:
    """Exit with `serve`'s status. twistd has none of its own: once its reactor
    stops, whatever stopped it, it exits 0, a port that could not be opened
    included. Run at exit, after twistd has removed its pid file and stopped its
    log; the one line saying why is already out."""
    from twisted_host.run.serving import exit_status

    status = exit_status(hosted, listener)
    if status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def makeService(options: Options) -> IService:
    plan: ServePlan = options["plan"]
    return SiteService(plan)
