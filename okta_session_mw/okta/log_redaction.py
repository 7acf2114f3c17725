"""Keep session ids out of httpx's own request log.

httpx logs every request URL at INFO on the ``httpx`` logger. The admin operations put
a session id in the path (``/api/v1/sessions/{id}``), and the id Okta returns from
CreateSession is the value of the browser's ``sid`` cookie: a credential. This filter,
installed once on that logger when the client module loads, rewrites such ids to
``***`` and leaves every other record as it is.
"""

from __future__ import annotations

import logging
import re

__all__ = ["install"]

_SESSION_ID_IN_PATH = re.compile(r"(/api/v1/sessions/)(?!me(?:[/?\s\"]|$))[^/?\s\"]+")


def redact(text: str) -> str:
    """``text`` with every ``/api/v1/sessions/<id>`` id replaced by ``***``."""
    return _SESSION_ID_IN_PATH.sub(r"\1***", text)


class RedactSessionIds(logging.Filter):
    """Rewrites session ids in a record's arguments (httpx passes the URL as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact(str(arg)) if "/api/v1/sessions/" in str(arg) else arg
                for arg in record.args
            )
        elif isinstance(record.msg, str) and "/api/v1/sessions/" in record.msg:
            record.msg = redact(record.msg)
        return True


def install() -> None:
    """Add the filter to the ``httpx`` logger (once)."""
    log = logging.getLogger("httpx")
    if not any(isinstance(f, RedactSessionIds) for f in log.filters):
        log.addFilter(RedactSessionIds())
