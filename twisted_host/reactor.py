"""Installing Twisted's asyncio reactor, on uvloop when it is there.

The ASGI bridge runs coroutines on the reactor's own event loop, so the whole server
runs on `AsyncioSelectorReactor`. It must be installed before anything imports
`twisted.internet.reactor`, which installs the default reactor as a side effect.
"""

from __future__ import annotations

import asyncio
import sys


def install_asyncio_reactor(use_uvloop: bool = True) -> None:
    """Install the asyncio reactor (idempotent); fail clearly if another one is in."""
    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import asyncioreactor, reactor

        if not isinstance(reactor, asyncioreactor.AsyncioSelectorReactor):
            raise RuntimeError(
                f"{type(reactor).__name__} is installed; twistbridge needs "
                "twisted.internet.asyncioreactor, installed before anything imports "
                "twisted.internet.reactor"
            )
        return
    loop: asyncio.AbstractEventLoop
    try:
        if not use_uvloop:
            raise ImportError
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    from twisted.internet import asyncioreactor

    asyncioreactor.install(loop)
