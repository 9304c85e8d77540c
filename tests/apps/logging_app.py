"""A WSGI app with a logging configuration of its own, as `--log-config` or an app's
own code sets one up: a plain `logging.FileHandler` (which knows nothing of
rotation) writing a line per request to the file named in `TWISTBRIDGE_TEST_APP_LOG`."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

_log = logging.getLogger("tests.apps.logging_app")
_log.addHandler(logging.FileHandler(os.environ["TWISTBRIDGE_TEST_APP_LOG"]))
_log.setLevel(logging.INFO)
_log.propagate = False


def app(
    environ: dict[str, Any], start_response: Callable[..., object]
) -> Iterable[bytes]:
    _log.info("served %s%s", environ["SCRIPT_NAME"], environ["PATH_INFO"])
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"logged\n"]
