"""Marks that let ``python -m okta_session_mw doctor`` tell whether every worker sharing
a Redis cache uses one ``secret_key``.

Workers that key the cache with different secrets never see each other's entries (each
asks Okta for every session again) and cannot evict each other's (a logout on one worker
leaves the session cached for the others), and nothing fails loudly. So each worker, at
start-up, writes a *mark* of its key: a keyed fingerprint, HMAC-SHA256 under a key that
HKDF derives from ``secret_key`` with an ``info`` of its own. The mark is never the key,
nor anything the cache itself uses (the cache's names and values use other ``info``
strings), and learning it gives nothing a Redis reader did not already have: every
value in the cache is sealed under the same secret.

The marks live in one hash, ``<prefix>key-marks`` (fingerprint -> epoch seconds of the
latest start-up that wrote it), so reading them is one command, on one node even in a
cluster; the hash expires ``MARK_LIFETIME`` after the latest write and the doctor
ignores marks older than that, so a key retired long ago stops being reported.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from okta_session_mw.cache.redis.bounded_wait import NoAnswerWithin, wait_at_most
from okta_session_mw.cache.redis.codec import RedisCodec
from okta_session_mw.cache.redis.health import redacted_url, url_timeout
from okta_session_mw.config import OktaSessionConfig

__all__ = [
    "MARK_LIFETIME",
    "key_fingerprint",
    "marks_key",
    "read_key_marks",
    "record_bound",
    "record_key_mark",
]

logger = logging.getLogger("okta_session_mw")

MARK_LIFETIME = 7 * 24 * 3600.0
"""Seconds a mark counts after the start-up that wrote it (a week)."""

_INFO = b"okta-session-mw/redis/key-marks: HMAC-SHA256 key of the fingerprint"
_MESSAGE = b"okta-session-mw secret_key fingerprint v1"
_TIMEOUTS = ("socket_timeout", "socket_connect_timeout")


class _HashClient(Protocol):
    """What this module needs of a redis-py client (sync, standalone or cluster)."""

    def hset(self, name: str, key: str, value: str) -> Any: ...
    def expire(self, name: str, time: int) -> Any: ...
    def hgetall(self, name: str) -> Any: ...


def key_fingerprint(secret: bytes) -> str:
    """The mark of one ``secret_key``: 32 hex digits, the same for every worker holding
    the same key and, without the key, unrelated to it."""
    mark_key = HKDF(algorithm=SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return hmac.new(mark_key, _MESSAGE, hashlib.sha256).hexdigest()[:32]


def marks_key(config: OktaSessionConfig) -> str:
    """The hash holding the marks: under the cache's own prefix (the same slot rules and
    ACL key patterns as the cache's keys)."""
    return RedisCodec(config.secret_key_bytes, config.cache_prefix).prefix + "key-marks"


def record_key_mark(config: OktaSessionConfig, client: _HashClient | None = None) -> bool:
    """Write this worker's mark (call once at start-up when ``config.cache_url`` is set).

    Never raises for Redis trouble and never holds the start-up long: a worker must
    start even when Redis is down or answers a byte at a time (the cache copes with
    that). The commands run as a whole within ``record_bound`` of the URL (1.5 s by
    default); past it, or on a Redis error, the failure is logged without the URL's
    password and the start-up goes on. Returns whether the mark was written. ``client``:
    a redis-py client to use (else one is made for ``config.cache_url`` and closed).
    """
    url = config.cache_url
    if url is None:
        return False
    try:
        wait_at_most(record_bound(url), lambda: _record(config, url, client))
    except Exception as exc:  # start-up goes on; the doctor will say more
        logger.warning(
            "okta_session_mw: could not record the secret_key mark in %s (%s)",
            redacted_url(url),
            exc if isinstance(exc, NoAnswerWithin) else type(exc).__name__,
        )
        return False
    return True


def record_bound(url: str) -> float:
    """How long a start-up waits for its mark, as a whole: three times the longer of the
    cache's own timeouts (``?socket_timeout=``, ``?socket_connect_timeout=``, else 0.5 s),
    room for the connection and both commands, never the minutes a dripping peer takes."""
    return 3 * max(url_timeout(url, name, 0.5) for name in _TIMEOUTS)


def _record(config: OktaSessionConfig, url: str, client: _HashClient | None) -> None:
    """The two commands (on the thread ``record_key_mark`` gives up on, if it must)."""
    own = client is None
    try:
        if client is None:
            client = _client(url)
        name = marks_key(config)
        client.hset(name, key_fingerprint(config.secret_key_bytes), str(int(time.time())))
        client.expire(name, int(MARK_LIFETIME))
    finally:
        if own and client is not None:
            close = getattr(client, "close", None)
            if callable(close):
                close()


def read_key_marks(config: OktaSessionConfig, client: _HashClient) -> dict[str, float]:
    """The marks written in the last ``MARK_LIFETIME`` seconds: fingerprint -> when."""
    raw: Mapping[Any, Any] = client.hgetall(marks_key(config)) or {}
    oldest = time.time() - MARK_LIFETIME
    marks: dict[str, float] = {}
    for field, value in raw.items():
        try:
            at = float(_text(value))
        except ValueError:
            continue  # not one of ours
        if at >= oldest:
            marks[_text(field)] = at
    return marks


def _text(value: object) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def _client(url: str) -> _HashClient:
    """A client with the cache's own short timeouts (``?socket_timeout=`` in the URL, else
    0.5 s): a worker starting while Redis is down waits no longer than a request would."""
    from okta_session_mw.cache.redis.connections import RedisConnections

    timeouts = {name: url_timeout(url, name, 0.5) for name in _TIMEOUTS}
    return RedisConnections(url, timeouts).sync()
