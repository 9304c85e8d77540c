"""Installing Twisted's asyncio reactor, on uvloop when it is there.

The ASGI bridge runs coroutines on the reactor's own event loop, so the whole server
runs on `AsyncioSelectorReactor`. It must be installed before anything imports
`twisted.internet.reactor`, which installs the default reactor as a side effect.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twisted.internet.asyncioreactor import AsyncioSelectorReactor


def install_asyncio_reactor(use_uvloop: bool = True) -> AsyncioSelectorReactor:
    """Install the asyncio reactor (idempotent) and return it; fail clearly if
    another reactor is installed."""
    if "twisted.internet.reactor" in sys.modules:
        from twisted.internet import asyncioreactor, reactor

        if not isinstance(reactor, asyncioreactor.AsyncioSelectorReactor):
            raise RuntimeError(
                f"{type(reactor).__name__} is installed; twistbridge needs "
                "twisted.internet.asyncioreactor, installed before anything imports "
                "twisted.internet.reactor"
            )
        return reactor
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
    from twisted.internet import reactor

    assert isinstance(reactor, asyncioreactor.AsyncioSelectorReactor)
    return reactor
