"""Whether to ask Redis right now, what to tell the log, and which evictions are owed.

After a failed call Redis is left alone for ``retry_interval`` seconds (requests then
skip it at once instead of each waiting for a timeout); the next call after that is
the probe. The first failure is logged, then at most one line per ``log_interval``
with the number of failures in between; the end of a logged outage is logged once. An eviction that
could not reach Redis is kept (bounded) and sent first when Redis answers again, so a
logout during an outage still reaches the workers that read Redis afterwards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from okta_session_mw.cache.redis.codec import BadValueError
from okta_session_mw.cache.redis.ops import Op
from okta_session_mw.redis_topology import parse_cache_url

__all__ = ["RedisHealth", "redacted_url", "url_timeout"]

logger = logging.getLogger("okta_session_mw")


def redacted_url(url: str) -> str:
    """Where Redis is, for logs and reprs: never the password or the query."""
    if "+" in url.partition("://")[0]:  # a cluster's or the sentinels' hosts
        try:
            return parse_cache_url(url).redacted
        except ValueError:
            return "(a Redis URL that cannot be read)"
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    try:
        port = parts.port or 6379
    except ValueError:  # not a number: redis-py will refuse the URL anyway
        port = 0
    return f"{parts.scheme}://{parts.hostname}:{port}{parts.path}"


def url_timeout(url: str, name: str, default: float) -> float:
    """A timeout set in the URL's query (``?socket_timeout=2``), else ``default``."""
    values = parse_qs(urlsplit(url).query).get(name)
    try:
        return float(values[-1]) if values else default
    except ValueError:
        return default


class _Throttle:
    """Allows one event per ``interval`` and counts the ones it held back."""

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        self.interval = interval
        self._clock = clock
        self._last: float | None = None
        self.held = 0

    def allow(self) -> bool:
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            self.held += 1
            return False
        self._last = now
        return True


class RedisHealth:
    """Circuit breaker, throttled logging and owed evictions; safe across threads."""

    def __init__(
        self,
        where: str,
        *,
        retry_interval: float,
        log_interval: float,
        max_owed: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = where
        self.retry_interval = retry_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._down = False
        self._announced = False  # this outage was logged, so its end will be too
        self._retry_at = 0.0
        self._failures = _Throttle(log_interval, clock)
        self._bad_values = _Throttle(log_interval, clock)
        self._owed: OrderedDict[tuple[Any, ...], Op[Any]] = OrderedDict()
        self._max_owed = max_owed

    @property
    def down(self) -> bool:
        return self._down

    def usable(self) -> bool:
        """False while Redis failed less than ``retry_interval`` seconds ago."""
        return not self._down or self._clock() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down = True
            self._retry_at = self._clock() + self.retry_interval
            if not self._failures.allow():
                return
            self._announced = True
            held, self._failures.held = self._failures.held, 0
        logger.warning(
            "Redis session cache at %s unavailable (%s); asking Okta directly, "
            "retrying every %.1f s%s",
            self.where,
            type(exc).__name__,
            self.retry_interval,
            f" ({held} more failures since the last message)" if held else "",
        )

    def succeeded(self) -> bool:
        """Record an answer; True when this ends an outage (once per outage)."""
        with self._lock:
            was_down, self._down = self._down, False
            if not was_down:
                return False
            announced, self._announced = self._announced, False
        if announced:
            logger.warning("Redis session cache at %s reachable again", self.where)
        return True

    def bad_value(self, exc: Exception) -> None:
        """Log (throttled) a value refused: read as a miss, or not written. Only the
        reason is logged, never the value's bytes (they may be an attacker's)."""
        with self._lock:
            if not self._bad_values.allow():
                return
        reason = str(exc) if isinstance(exc, BadValueError) else type(exc).__name__
        logger.warning(
            "Redis session cache at %s: %s; not used (a value this app did not write "
            "is a miss: do all workers share one secret_key?)",
            self.where,
            reason,
        )

    def owe(self, op: Op[Any]) -> None:
        """Keep an eviction for later; the oldest goes when too many are owed."""
        with self._lock:
            self._owed[op.args] = op
            if len(self._owed) > self._max_owed:
                self._owed.popitem(last=False)
                dropped = True
            else:
                dropped = False
        if dropped:
            logger.warning("Redis session cache: too many evictions owed; dropping the oldest")

    def next_owed(self) -> Op[Any] | None:
        if not self._owed:
            return None
        with self._lock:
            return next(iter(self._owed.values()), None)

    def paid(self, op: Op[Any]) -> None:
        with self._lock:
            if self._owed.get(op.args) is op:
                del self._owed[op.args]
