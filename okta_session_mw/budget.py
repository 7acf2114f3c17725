"""Okta's rate-limit budget, per bucket, and who may spend it (behaviour 14, per process).

Okta counts calls per *bucket* in windows and reports the bucket's figures
(``X-Rate-Limit-Limit/Remaining/Reset``) on every answer. A cookie nobody has seen
costs one lookup, so an anonymous client sending random cookies could spend a whole
window and lock out every real user. Three rules stop that:

* **per bucket**: the figures and a 429 close only the bucket they came from; a 429 on
  ``GET /sessions/me`` says nothing about ``DELETE /sessions/me`` or ``/sessions/{id}``.
  We track each endpoint (method and path) on its own: if Okta groups several endpoints
  in one bucket, each of them reports the group's figures anyway, so nothing is lost.
* **a reserve**: lookups of never-seen cookies stop while ``remaining`` is at or below
  ``reserve_fraction`` of ``limit``; logouts, refreshes and re-checks of sessions we
  have cached may spend the rest.
* **per client address**: each address gets a token bucket of never-seen-cookie lookups
  (``per_minute`` of them, refilled evenly), kept in an LRU so memory stays bounded.

Nothing here does I/O or reads a clock: ``now`` (epoch seconds) is always passed in.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import math
import threading
from dataclasses import dataclass

from cachetools import LRUCache

from okta_session_mw.errors import RateLimit

__all__ = [
    "BUCKETS",
    "DEFAULT_RATE_LIMIT_PAUSE",
    "MAX_RATE_LIMIT_PAUSE",
    "AddressAllowance",
    "BucketFigures",
    "RateLimitGate",
    "Spender",
    "address_key",
    "admits",
    "bucket_of",
    "reserve_of",
]

# When a 429 carries no usable X-Rate-Limit-Reset, wait this long (Okta's windows are a minute).
DEFAULT_RATE_LIMIT_PAUSE = 60.0
# Never believe a Reset further ahead than this (a clock skew or a bad header).
MAX_RATE_LIMIT_PAUSE = 300.0

BUCKETS: dict[str, str] = {
    "get_current_session": "GET /api/v1/sessions/me",
    "refresh_current_session": "POST /api/v1/sessions/me/lifecycle/refresh",
    "close_current_session": "DELETE /api/v1/sessions/me",
    "create_session": "POST /api/v1/sessions",
    "get_session": "GET /api/v1/sessions/{id}",
    "refresh_session": "POST /api/v1/sessions/{id}/lifecycle/refresh",
    "revoke_session": "DELETE /api/v1/sessions/{id}",
    "authenticate": "POST /api/v1/authn",
}
"""The endpoint each client operation calls: the finest bucket Okta could count it in."""


def bucket_of(operation: str) -> str:
    """The bucket an operation's calls are counted in (an unknown name is its own)."""
    return BUCKETS.get(operation, operation)


class Spender(enum.Enum):
    """Who wants to spend a call, which decides whether the reserve is open to it."""

    NEW_COOKIE = "new_cookie"
    """A cookie with no cached session (never seen, or last seen as "no session"):
    anyone can make those up, so they never touch the reserve."""
    KNOWN = "known"
    """A cached session's re-check, refresh or logout: may spend the reserve."""


@dataclass(slots=True)
class BucketFigures:
    """What we know of one bucket's window: Okta's last figures, minus the calls we
    have let through since (so concurrent calls do not all see the same remaining).
    Conservative: a call that never got an answer stays counted until the window turns."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    """Okta's Reset (epoch seconds) of the window these figures belong to."""
    window_ends: float = 0.0
    """When that window has turned, on our clock (``now + Reset - Date + 1``)."""
    closed_until: float = 0.0
    """After a 429: no call at all before this, on our clock."""


def reserve_of(limit: int | None, fraction: float) -> int:
    """How many calls of a ``limit`` window never-seen cookies must leave (rounded up)."""
    return math.ceil(limit * fraction) if limit else 0


def admits(figures: BucketFigures | None, spender: Spender, fraction: float, now: float) -> bool:
    """May ``spender`` make one call in this bucket now? Unknown or outdated figures
    admit (the first answer tells); a 429 closes the bucket for everyone until Reset."""
    if figures is None:
        return True
    if now < figures.closed_until:
        return False
    if now >= figures.window_ends or figures.remaining is None:
        return True
    floor = reserve_of(figures.limit, fraction) if spender is Spender.NEW_COOKIE else 0
    return figures.remaining > floor


def _bounded(seconds: float | None) -> float:
    if seconds is None:
        seconds = DEFAULT_RATE_LIMIT_PAUSE
    return min(max(seconds, 1.0), MAX_RATE_LIMIT_PAUSE)


def address_key(address: str) -> str:
    """The unit an allowance is kept for: an IPv4 address, or an IPv6 address's /64
    (one subscriber gets a whole /64, so counting single IPv6 addresses would let one
    client rotate through billions). Anything else (a socket name) is kept as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class AddressAllowance:
    """Lookups of never-seen cookies per client address (``address_key``: an IPv6
    client's /64): a token bucket each, holding
    at most ``per_minute`` tokens, refilled at ``per_minute`` a minute. ``per_minute``
    0 turns the bound off. At most ``maxsize`` addresses are remembered (LRU): one
    forgotten starts again with a full bucket, which an attacker gains little from
    because every address it uses is bounded the same way."""

    __slots__ = ("_lock", "_tokens", "per_minute")

    def __init__(self, per_minute: int, maxsize: int = 10_000) -> None:
        self.per_minute = per_minute
        self._tokens: LRUCache[str, tuple[float, float]] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def take(self, address: str | None, now: float) -> bool:
        """Spend one lookup for ``address``; False when its bucket is empty. A request
        with no address (no transport peer) is not bounded here: the reserve still is."""
        if self.per_minute <= 0 or address is None:
            return True
        capacity = float(self.per_minute)
        address = address_key(address)
        with self._lock:
            tokens, then = self._tokens.get(address, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - then) * capacity / 60.0)
            if tokens < 1.0:
                self._tokens[address] = (tokens, now)
                return False
            self._tokens[address] = (tokens - 1.0, now)
            return True


class RateLimitGate:
    """Per-bucket figures and 429 pauses, the reserve, and the per-address allowance:
    everything that decides whether the middleware may call Okta now (behaviours 7, 14).

    ``observe`` is fed the figures of every answer (the service registers it with its
    clients); the flow asks ``take`` before each call and ``close_for`` after a 429.
    """

    __slots__ = ("_buckets", "_lock", "addresses", "reserve_fraction")

    def __init__(
        self,
        reserve_fraction: float = 0.0,
        new_cookie_lookups_per_minute: int = 0,
        *,
        max_addresses: int = 10_000,
    ) -> None:
        self.reserve_fraction = reserve_fraction
        self.addresses = AddressAllowance(new_cookie_lookups_per_minute, max_addresses)
        self._buckets: dict[str, BucketFigures] = {}
        self._lock = threading.Lock()

    def figures(self, operation: str) -> BucketFigures | None:
        """What we know of ``operation``'s bucket (a copy), or None before any answer."""
        with self._lock:
            figures = self._buckets.get(bucket_of(operation))
            return None if figures is None else dataclasses.replace(figures)

    def open(self, operation: str, spender: Spender, now: float) -> bool:
        """Would ``take`` admit this call (without spending anything)?"""
        with self._lock:
            figures = self._buckets.get(bucket_of(operation))
            return admits(figures, spender, self.reserve_fraction, now)

    def take(
        self, operation: str, spender: Spender, now: float, address: str | None = None
    ) -> bool:
        """Admit one call and count it against the bucket, or refuse it (False).

        A never-seen cookie also spends one lookup of its client ``address``."""
        if spender is Spender.NEW_COOKIE and not self.open(operation, spender, now):
            return False  # refused by the bucket: the address keeps its token
        if spender is Spender.NEW_COOKIE and not self.addresses.take(address, now):
            return False
        with self._lock:
            figures = self._buckets.get(bucket_of(operation))
            if not admits(figures, spender, self.reserve_fraction, now):
                return False
            if figures is not None and figures.remaining is not None:
                if now < figures.window_ends:
                    figures.remaining -= 1
                else:  # the window has turned: the old figures say nothing now
                    figures.remaining = None
            return True

    def observe(self, operation: str, rate_limit: RateLimit, now: float) -> None:
        """Take in the figures of one answer from ``operation``'s bucket."""
        if rate_limit.remaining is None:
            return
        ends = now + _bounded(rate_limit.wait_seconds(now))
        with self._lock:
            figures = self._buckets.setdefault(bucket_of(operation), BucketFigures())
            old, new = figures.reset, rate_limit.reset
            if old is not None and new is not None and new < old:
                return  # a late answer from a window that has already turned
            remaining = rate_limit.remaining
            if old == new and figures.remaining is not None and now < figures.window_ends:
                # Same window: calls we let through after this one was sent still count.
                remaining = min(remaining, figures.remaining)
            figures.remaining = remaining
            figures.limit = rate_limit.limit
            figures.reset = new
            figures.window_ends = ends

    def close_for(self, operation: str, seconds: float | None, now: float) -> float:
        """After a 429: no call in ``operation``'s bucket for ``seconds`` (until Okta's
        Reset, measured on Okta's clock); a missing or absurd value is bounded.
        Returns the time the bucket opens again."""
        until = now + _bounded(seconds)
        with self._lock:
            figures = self._buckets.setdefault(bucket_of(operation), BucketFigures())
            figures.closed_until = max(figures.closed_until, until)
            return figures.closed_until

    def reset(self) -> None:
        """Forget every figure and pause (tests; a new Okta org)."""
        with self._lock:
            self._buckets.clear()
