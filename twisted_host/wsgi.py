"""The WSGI mount: Twisted's `WSGIResource` on a thread pool of its own.

Not the reactor's shared pool (`deferToThread`, DNS): a slow WSGI view must not starve
them, and the pool's size is the WSGI mount's concurrency, a setting of its own.
"""

from __future__ import annotations

from twisted.internet.interfaces import IReactorCore
from twisted.python.threadpool import ThreadPool
from twisted.web.wsgi import WSGIResource

from twisted_host.types import WSGIApp


class WSGIMount(WSGIResource):
    """A `WSGIResource` whose pool starts and stops with the reactor."""

    def __init__(self, reactor: IReactorCore, app: WSGIApp, threads: int) -> None:
        self.pool = ThreadPool(minthreads=0, maxthreads=threads, name="wsgi")
        super().__init__(reactor, self.pool, app)
        reactor.callWhenRunning(self.pool.start)
        reactor.addSystemEventTrigger("during", "shutdown", self.pool.stop)
