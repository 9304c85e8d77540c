"""TCP connections whose writes leave in the same event-loop turn.

Under the asyncio reactor, every `transport.write` registers the socket with the
event loop for writability (an `epoll_ctl`), waits a loop iteration for the event,
sends, then unregisters it (another `epoll_ctl`): three system calls and a loop
turn per response, on a socket that was writable all along. Here a write instead
schedules one `call_soon` flush: everything written during this turn (status line,
headers, body) goes out in one `send`, and only a socket that cannot take it all
is registered for writability, as before. asyncio's own transports work this way.

`flush_now` sends at once what was written: a WebSocket message is whole when it is
written, and its peer is waiting for it. Left to the end of the turn, a turn that
reads 5,000 WebSockets sent its first echo only after the last read, where uvicorn
(asyncio's transports send as they are written) has sent most of them by then: the
echo round's p50 was 1.7-2.7x uvicorn's for the same server CPU.

Reads: the asyncio reactor wraps every readable event in `callWithLogger`, which
pushes and pops a log context around the read (some 7 % of a small request's time on
the reactor thread). Here the loop calls the read directly; only the "system" prefix
of a legacy log line written during a read is lost.
"""

from __future__ import annotations

import os
import socket
from errno import ENOBUFS, EWOULDBLOCK
from typing import cast

from twisted.internet import defer, tcp
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.error import ConnectionFdescWentAway, ConnectionLost
from twisted.internet.interfaces import (
    IListeningPort,
    IProtocolFactory,
    IStreamServerEndpoint,
)
from twisted.internet.main import CONNECTION_LOST
from twisted.logger import Logger
from twisted.python.util import untilConcludes
from zope.interface import implementer

_log = Logger()


class SoonServer(tcp.Server):
    _flushPending = False

    def startReading(self) -> None:
        # As AsyncioSelectorReactor.addReader, with the read called directly.
        reactor = cast(AsyncioSelectorReactor, self.reactor)
        readers = cast("dict[object, int]", reactor._readers)
        if self in readers:
            return
        fd = self.fileno()
        reactor._asyncioEventloop.add_reader(fd, self._readable)
        readers[self] = fd

    def _readable(self) -> None:
        # As AsyncioSelectorReactor._readOrWrite, without the log context.
        reactor = cast(AsyncioSelectorReactor, self.reactor)
        if self.fileno() == -1:
            reactor._disconnectSelectable(
                self, ConnectionFdescWentAway("File descriptor lost"), True
            )
            return
        why: BaseException | None
        try:
            why = self.doRead()
        except Exception as error:
            why = error
            _log.failure("reading from {peer}", peer=self.getPeer())
        if why:
            reactor._disconnectSelectable(self, why, True)

    def startWriting(self) -> None:
        reactor = cast(AsyncioSelectorReactor, self.reactor)
        if self._flushPending or self in cast("set[object]", reactor._writers):
            return
        self._flushPending = True
        reactor._asyncioEventloop.call_soon(self.flush_now)

    def flush_now(self) -> None:
        """Send what is written now rather than at the end of the turn (the flush
        already scheduled then finds nothing left to do)."""
        if self._flushPending:
            self._flush()

    def _flush(self) -> None:
        self._flushPending = False
        if self.disconnected or getattr(self, "_aborting", False):
            return
        why = self.doWrite()
        if why:
            cast(AsyncioSelectorReactor, self.reactor)._disconnectSelectable(
                self, why, False
            )
        elif self._tempDataLen or len(self.dataBuffer) > self.offset:
            tcp.Server.startWriting(self)  # the socket is full: wait until writable

    def writeSomeData(self, data: bytes) -> int | ConnectionLost:
        # As tcp.Connection.writeSomeData, without its cap of SEND_LIMIT (128 KiB) a
        # call, kept for Windows' sake: a 4 MiB WebSocket message or file left in 32
        # turns of the loop, where the kernel takes what fits in one `send`, as
        # asyncio's transports let it. (SEND_LIMIT still bounds what doWrite joins.)
        try:
            return untilConcludes(self.socket.send, data)
        except OSError as error:
            if error.args[0] in (EWOULDBLOCK, ENOBUFS):
                return 0
            return CONNECTION_LOST


class SoonPort(tcp.Port):
    transport = SoonServer


class SharedPort(SoonPort):
    """A port on a socket other processes accept from too (`serve --workers`).

    Twisted accepts up to a hundred connections per wake-up, growing; every process
    polling a shared socket wakes, and the first takes a whole burst (measured: one
    worker of two got all 64 connections of a keep-alive load). One accept per
    wake-up leaves the next connection to whichever process is free first, as
    nginx's `multi_accept off` does.
    """

    @property
    def numberAccepts(self) -> int:
        return 1

    @numberAccepts.setter
    def numberAccepts(self, value: int) -> None:
        pass  # Twisted's growth of the batch does not apply


@implementer(IStreamServerEndpoint)
class SoonTCPEndpoint:
    """A TCP server endpoint (IPv4 or IPv6) whose connections are `SoonServer`s."""

    def __init__(
        self,
        reactor: AsyncioSelectorReactor,
        port: int,
        interface: str = "",
        backlog: int = 4096,
    ) -> None:
        self.reactor = reactor
        self.port = port
        self.interface = interface
        self.backlog = backlog

    def listen(self, factory: IProtocolFactory) -> defer.Deferred[IListeningPort]:
        def start() -> IListeningPort:
            port = SoonPort(
                self.port, factory, self.backlog, self.interface, self.reactor
            )
            port.startListening()
            return port

        return defer.execute(start)


@implementer(IStreamServerEndpoint)
class SoonInheritedEndpoint:
    """A listening socket this process inherited (a worker of `serve --workers`
    serves its supervisor's), with `SoonServer` connections."""

    def __init__(
        self, reactor: AsyncioSelectorReactor, fd: int, family: socket.AddressFamily
    ) -> None:
        self.reactor = reactor
        self.fd = fd
        self.family = family

    def listen(self, factory: IProtocolFactory) -> defer.Deferred[IListeningPort]:
        def start() -> IListeningPort:
            os.set_blocking(self.fd, False)  # shared by every worker: all poll it
            port = SharedPort._fromListeningDescriptor(
                self.reactor, self.fd, self.family, factory
            )
            os.close(self.fd)  # Twisted keeps a duplicate of it
            port.startListening()
            return cast(IListeningPort, port)

        return defer.execute(start)
