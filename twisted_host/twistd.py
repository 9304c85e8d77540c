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
process); SIGTERM stops the Site as gracefully as under `serve`, uvicorn with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import click
from twisted.application.service import IService, Service
from twisted.python import usage

from twisted_host.cli import serve
from twisted_host.cli_plan import ServePlan, serve_plan

NAME = "twistbridge"


class Options(usage.Options):
    """`twistbridge serve`'s flags: click parses them, not `usage.Options`."""

    synopsis = "[options of `twistbridge serve`]"

    def parseOptions(self, options: Sequence[str] | None = None) -> None:
        args = list(options or [])
        try:
            with serve.make_context(f"twistd {NAME}", args) as ctx:
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
        from twisted_host.run.main import start
        from twisted_host.run.reactor import install_asyncio_reactor

        super().startService()
        plan = self.plan
        start(
            install_asyncio_reactor(),  # installed already: the options did it
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


def makeService(options: Options) -> IService:
    plan: ServePlan = options["plan"]
    return SiteService(plan)
