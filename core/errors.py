"""The errors a request can make that every mount answers alike: a status and one line
of detail, which each framework's error handler turns into `core.content.error_page`."""

from __future__ import annotations


class ClientError(ValueError):
    """A request the client must change: answered with `status` and `detail`.

    str() is the detail, so that a log line or a test reads the same reason.
    """

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
