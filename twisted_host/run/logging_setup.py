"""Logging as users of uvicorn configure it: `--log-level` and `--log-config FILE` (a
`logging.config.dictConfig` document as JSON or YAML, or a `fileConfig` INI file,
told apart by the file's suffix as uvicorn does), and Twisted's log events handed to
`logging`, each to the logger of its namespace (`twisted_host.bridges.asgi`,
`twisted.web.server`...), so that one configuration covers both. Like uvicorn's, the
level and the default handler are our loggers' (`OURS`), not the root's.

Without a configuration file, messages go to standard error as
`LEVEL name: message`; standard output stays the ready line's and the access log's.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from pathlib import Path

from twisted.logger import (
    ILogObserver,
    LogEvent,
    LogLevel,
    formatEvent,
    globalLogBeginner,
)
from twisted.web.http import Request
from zope.interface import provider

from twisted_host.http.access_log import line_of

TRACE = 5  # uvicorn's level below DEBUG
LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}
_FROM_TWISTED = {
    LogLevel.critical: logging.CRITICAL,
    LogLevel.error: logging.ERROR,
    LogLevel.warn: logging.WARNING,
    LogLevel.info: logging.INFO,
    LogLevel.debug: logging.DEBUG,
}
FORMAT = "%(levelname)s %(name)s: %(message)s"
# The loggers of this server, as uvicorn's are "uvicorn.*": Twisted's events (by
# namespace: "twisted.web.server.Request"...), its legacy log, and this package's.
# The root logger stays the app's: an error a Django or Flask app answers and logs
# itself is its business, as under uvicorn.
OURS = ("twisted", "twisted_host", "log_legacy")
# What WSGI apps write to `wsgi.errors` (Flask's "Exception on /x", which includes
# a client that left mid-body): the logger `wsgi.errors`, silent unless a
# --log-config gives it (or the root) a handler, so that no client leaves a
# traceback in the server's own log.
WSGI_ERRORS = "wsgi.errors"
_RENAMED = {"twisted.web.wsgi._ErrorStream": WSGI_ERRORS}
# Twisted says every factory it starts and stops at INFO: noise at the default level.
_QUIET = ("twisted.internet.protocol", "twisted_host.http.site", "log_legacy")


class LogConfigError(ValueError):
    """A `--log-config` file that cannot be read: one line."""


def configure(level: str, config: str = "") -> None:
    """Set up our loggers (from `config`, a file's path, if given) at `level` and
    send Twisted's events to them. Once per process, before the reactor runs."""
    logging.addLevelName(TRACE, "TRACE")
    logging.getLogger(WSGI_ERRORS).addHandler(logging.NullHandler())
    if config:
        _load(Path(config))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        for name in OURS:
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.propagate = False  # an app's handlers on the root: not twice
    for name in OURS:
        logging.getLogger(name).setLevel(LEVELS[level])
    if level == "info" and not config:  # debug and trace show them
        for name in _QUIET:
            logging.getLogger(name).setLevel(logging.WARNING)
    globalLogBeginner.beginLoggingTo(
        [to_logging], discardBuffer=False, redirectStandardIO=False
    )


def _load(path: Path) -> None:
    try:
        if path.suffix == ".json":
            logging.config.dictConfig(json.loads(path.read_text()))
        elif path.suffix in (".yaml", ".yml"):
            import yaml  # PyYAML, as uvicorn needs it for a YAML configuration

            logging.config.dictConfig(yaml.safe_load(path.read_text()))
        else:
            logging.config.fileConfig(path, disable_existing_loggers=False)
    except ImportError:
        raise LogConfigError(f"{path}: reading YAML needs PyYAML installed") from None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as bad:
        raise LogConfigError(f"{path}: {bad}") from None


@provider(ILogObserver)
def to_logging(event: LogEvent) -> None:
    """A Twisted log event as a `logging` record of its namespace's logger, with the
    traceback of the failure it carries."""
    level = _FROM_TWISTED.get(event.get("log_level", LogLevel.info), logging.INFO)
    namespace = event.get("log_namespace") or "twisted"
    logger = logging.getLogger(_RENAMED.get(namespace, namespace))
    if not logger.isEnabledFor(level):
        return
    failure = event.get("log_failure")
    exc_info = (
        (failure.type, failure.value, failure.getTracebackObject())
        if failure is not None and isinstance(failure.value, BaseException)
        else None
    )
    message = formatEvent(event)
    source = event.get("log_source")
    if isinstance(source, Request):  # Twisted's "a resource raised" says no more
        message = f"{message or 'Request failed'}: {line_of(source.method, source.uri, source.clientproto)}"
    logger.log(level, message, exc_info=exc_info)
