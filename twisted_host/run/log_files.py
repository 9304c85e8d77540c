"""SIGUSR1: open the log files again at their paths, after logrotate has moved them
away (its `postrotate` sends the signal, as it does to gunicorn and nginx): the access
log, and every file handler of the `logging` configuration (`--log-config`), found
by the `baseFilename` each of the standard library's file handlers has, whatever
its class: no handler needs to know about rotation."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from twisted.internet.interfaces import IReactorThreads

from twisted_host.http.access_log_file import AccessLogFile
from twisted_host.run.process import say


def reopen_log_files(access_log: AccessLogFile | None) -> list[str]:
    """Reopen the access log and the logging configuration's files; their paths."""
    reopened = []
    if access_log is not None and (path := access_log.reopen()) is not None:
        reopened.append(path)
    for handler in _file_handlers():
        assert handler.lock is not None  # made by Handler.__init__
        with handler.lock:  # as `emit` holds it
            if handler.stream is not None:
                handler.stream.flush()
                handler.stream.close()
            # FileHandler.emit opens a handler's file when its stream is None, as
            # WatchedFileHandler does when the file it had is no longer at the path.
            handler.stream = None
        reopened.append(handler.baseFilename)
    return reopened


def _file_handlers() -> list[logging.FileHandler]:
    loggers = [logging.getLogger()]
    loggers += [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    found: dict[int, logging.FileHandler] = {}
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.FileHandler):  # it has a baseFilename
                found[id(handler)] = handler
    return list(found.values())


def reopen_on_usr1(reactor: IReactorThreads, access_log: AccessLogFile | None) -> None:
    """Reopen this process's log files on SIGUSR1, on the reactor thread."""

    def reopen() -> None:
        paths = reopen_log_files(access_log)
        where = ", ".join(paths) if paths else "none are files of their own"
        say(f"SIGUSR1: log files reopened ({where})")

    previous = signal.getsignal(signal.SIGUSR1)  # twistd's rotation of its log

    def signalled(signum: int, frame: FrameType | None) -> None:
        reactor.callFromThread(reopen)
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGUSR1, signalled)
