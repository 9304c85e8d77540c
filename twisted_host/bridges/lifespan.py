"""The ASGI lifespan protocol, run on the reactor's event loop.

Behaves as uvicorn's `--lifespan auto`: an app that raises before it answers
`lifespan.startup` does not support lifespan and is served without it; an app that
answers `lifespan.startup.failed` stops the server with its message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from twisted.logger import Logger

from twisted_host.types import ASGIApp, Message

_log = Logger()

ASGI_VERSION = {"version": "3.0", "spec_version": "2.4"}


class LifespanFailed(Exception):
    """The app answered `lifespan.startup.failed`; str() is the app's message."""


class Lifespan:
    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.supported = True
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._started: asyncio.Future[None] | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Run the app's startup; raise `LifespanFailed` if it says it failed."""
        loop = asyncio.get_running_loop()
        self._started = loop.create_future()
        self._stopped = loop.create_future()
        self._task = loop.create_task(self._main())
        await self._inbox.put({"type": "lifespan.startup"})
        await self._started

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Run the app's shutdown, waiting `timeout` seconds at most."""
        if self._task is None or self._task.done() or self._stopped is None:
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(asyncio.shield(self._stopped), timeout)
        except TimeoutError:
            _log.warn("ASGI lifespan shutdown took over {timeout}s", timeout=timeout)
            self._task.cancel()
        except LifespanFailed as failed:
            _log.error("ASGI lifespan shutdown failed: {message}", message=str(failed))

    async def _main(self) -> None:
        scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": self.state}
        try:
            await self.app(scope, self._inbox.get, self._send)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if self._started is not None and not self._started.done():
                # Raised before answering startup: lifespan is not supported.
                self.supported = False
                _log.info("ASGI 'lifespan' protocol appears unsupported: {e!r}", e=exc)
                self._started.set_result(None)
            else:
                _log.failure("ASGI lifespan failed")
        finally:
            for future in (self._started, self._stopped):
                if future is not None and not future.done():
                    future.set_result(None)

    async def _send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            _settle(self._started, None)
        elif kind == "lifespan.startup.failed":
            _settle(self._started, LifespanFailed(message.get("message", "")))
        elif kind == "lifespan.shutdown.complete":
            _settle(self._stopped, None)
        elif kind == "lifespan.shutdown.failed":
            _settle(self._stopped, LifespanFailed(message.get("message", "")))
        else:
            raise RuntimeError(f"unexpected ASGI lifespan message {kind!r}")


def _settle(future: asyncio.Future[None] | None, outcome: Exception | None) -> None:
    if future is None or future.done():
        return
    if outcome is None:
        future.set_result(None)
    else:
        future.set_exception(outcome)
