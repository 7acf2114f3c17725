"""Reading Okta's answer bodies with bounded work: the JSON bounds, and the readers of
a successful answer (a Session, nothing, a session token) and of ``errorCauses``.

A body holding more than ``MAX_JSON_CONTAINERS`` objects and arrays is not parsed, and
an error's ``errorCauses`` are kept as flat text only (so the exception can be copied
and pickled). No I/O here.
"""

from __future__ import annotations

import itertools
import json

import httpx

from okta_session_mw.errors import (
    OktaAuthnIncompleteError,
    OktaInvalidResponseError,
    SessionParseError,
)
from okta_session_mw.okta.session import Session

__all__ = [
    "MAX_JSON_CONTAINERS",
    "error_causes",
    "load_json",
    "parse_nothing",
    "parse_session",
    "parse_session_token",
]

MAX_JSON_CONTAINERS = 2048
"""The most ``[`` and ``{`` a body may hold (inside strings too) to be parsed at all; a
Session has about a dozen, an error body a few. ``json.loads`` holds the GIL, a worker
thread's too, and most of its time on a body goes to making containers (and to the
garbage collector they wake): a megabyte of small nested arrays is a tenth of a second
or more of a stalled event loop. Counting costs well under a millisecond per megabyte.
A body of plain values is cheap to parse however long (up to ``max_response_bytes``)."""


def too_many_containers(content: bytes) -> bool:
    return (
        len(content) > MAX_JSON_CONTAINERS
        and content.count(b"[") + content.count(b"{") > MAX_JSON_CONTAINERS
    )


def load_json(content: bytes) -> object:
    """The decoded body, or None when it is not JSON, or holds more objects and arrays
    than ``MAX_JSON_CONTAINERS``. Every Okta body is read here, so none reaches the
    caller as anything but the typed errors: a body nested too deep for the parser
    (``[[[[...``) raises RecursionError, not ValueError."""
    if too_many_containers(content):
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # ValueError also covers UnicodeDecodeError
        return None


def parse_session(response: httpx.Response) -> Session:
    if too_many_containers(response.content):
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) holds more than "
            f"{MAX_JSON_CONTAINERS} JSON objects and arrays; a Session has about a dozen",
            status_code=response.status_code,
        )
    data = load_json(response.content)
    if not isinstance(data, dict):
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) is not a JSON Session object",
            status_code=response.status_code,
        )
    try:
        return Session.from_okta(data)
    except RecursionError:  # nested just shallow enough for the parser, not for the walk
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) is nested too deep for a Session",
            status_code=response.status_code,
        ) from None
    except SessionParseError as exc:
        raise OktaInvalidResponseError(
            f"Okta's answer (HTTP {response.status_code}) is not a valid Session: "
            f"field {exc.field!r} is invalid",
            status_code=response.status_code,
        ) from exc


def parse_nothing(response: httpx.Response) -> None:
    """204 (or any 2xx): any body carries nothing we need."""


def parse_session_token(response: httpx.Response) -> str:
    data = load_json(response.content)
    if not isinstance(data, dict) or not isinstance(data.get("status"), str):
        raise OktaInvalidResponseError(
            f"Okta's authn answer (HTTP {response.status_code}) is not an authentication "
            "transaction",
            status_code=response.status_code,
        )
    token = data.get("sessionToken")
    if data["status"] != "SUCCESS" or not isinstance(token, str) or not token:
        raise OktaAuthnIncompleteError(data["status"][:40])
    return token


_MAX_CAUSES = 16
_MAX_CAUSE_TEXT = 1024
_MAX_CAUSE_MEMBERS = 8


def error_causes(value: object) -> list[dict[str, str]]:
    """``errorCauses`` as flat text: at most 16 causes, each only its (first 8) members
    whose value is a string (``errorSummary``), cut to 1 KiB. Anything nested is dropped: the
    error is kept, copied and pickled (Celery, multiprocessing), and a value nested
    hundreds deep would make each of those raise RecursionError."""
    if not isinstance(value, list):
        return []
    causes: list[dict[str, str]] = []
    for cause in value:
        if not isinstance(cause, dict):
            continue
        texts = (
            (key[:_MAX_CAUSE_TEXT], text[:_MAX_CAUSE_TEXT])
            for key, text in cause.items()
            if isinstance(key, str) and isinstance(text, str)
        )
        causes.append(dict(itertools.islice(texts, _MAX_CAUSE_MEMBERS)))
        if len(causes) == _MAX_CAUSES:
            break
    return causes
