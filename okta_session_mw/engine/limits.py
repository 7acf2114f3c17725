"""Okta's rate-limit budget, per bucket, and who may spend it (behaviour 14, per process).

Okta counts calls per *bucket* in windows and reports the bucket's figures
(``X-Rate-Limit-Limit/Remaining/Reset``) on every answer. A cookie nobody has seen
costs one lookup, so an anonymous client sending random cookies could spend a whole
window and lock out every real user. These rules stop that:

* **per bucket**: the figures and a 429 close only the bucket they came from; a 429 on
  ``GET /sessions/me`` says nothing about ``DELETE /sessions/me`` or ``/sessions/{id}``.
  We track each endpoint (method and path) on its own, and also each API family
  (``family_of``: Okta documents one bucket for all of ``/api/v1/sessions*``), fed by
  every answer of its endpoints and counted down by each of their calls, so calls on
  several endpoints at once cannot together spend past the reserve.
* **counted, never guessed**: every call let through is counted down from Okta's last
  figures until the next answer, and when the window turns from the last ``limit``
  (not from "unknown"), so a burst right after the turn stops at the reserve too.
  Before Okta has told us anything (process start) only ``PROBE_CALLS`` calls that may
  not spend the reserve are in flight per bucket (``flow`` makes the others wait for
  its answer).
* **a reserve**: calls for never-seen cookies (lookups, logouts) stop while
  ``remaining`` is at or below ``reserve_fraction`` of ``limit``; sign-in through the
  library (CreateSession) may spend the smaller half of that reserve; logouts,
  refreshes and re-checks of sessions we have cached may spend all of it.
* **per client address**: each address gets a token bucket of never-seen-cookie calls
  (``per_minute`` of them, refilled evenly) and another of sign-ins, kept in an LRU so
  memory stays bounded; requests with no address (a Unix socket) share one.

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
    "NO_ADDRESS",
    "PROBE_CALLS",
    "WINDOW",
    "AddressAllowance",
    "BucketFigures",
    "RateLimitGate",
    "Spender",
    "address_key",
    "admits",
    "bucket_of",
    "family_of",
    "reserve_of",
]

# When a 429 carries no usable X-Rate-Limit-Reset, wait this long (Okta's windows are a minute).
DEFAULT_RATE_LIMIT_PAUSE = 60.0
# Never believe a Reset further ahead than this (a clock skew or a bad header).
MAX_RATE_LIMIT_PAUSE = 300.0
# Okta's windows are a minute: when one has turned, the next ends this much later.
WINDOW = 60.0
# While a bucket's figures are unknown, calls that may not spend the reserve in flight
# (the flows make the others wait for its answer rather than refuse them).
PROBE_CALLS = 1
NO_ADDRESS = "(no address)"
"""The allowance every request without a client address shares (uvicorn ``--uds``)."""

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


def family_of(operation: str) -> str:
    """The API an operation belongs to (``/api/v1/sessions``): Okta documents one
    bucket for all of ``/api/v1/sessions*``, so calls for never-seen cookies keep one
    reserve across its endpoints, whatever each endpoint's own figures say."""
    bucket = bucket_of(operation)
    _, _, path = bucket.partition(" ")
    return "/".join(path.split("/")[:4]) if path.startswith("/api/") else bucket


class Spender(enum.Enum):
    """Who wants to spend a call, which decides whether the reserve is open to it."""

    NEW_COOKIE = "new_cookie"
    """A cookie with no cached session (never seen, or last seen as "no session"):
    anyone can make those up, so they never touch the reserve."""
    SIGN_IN = "sign_in"
    """Sign-in through the library (CreateSession from a sessionToken): a real user,
    but anyone with an account can repeat it, so it may spend half of the reserve."""
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
    in_flight: int = 0
    """Calls let through whose answer (or failure) has not come back yet."""
    estimated: bool = False
    """The window turned on our clock and no answer of the new one has come yet:
    ``remaining`` counts down from the last ``limit`` (``reset`` is still the old
    window's, so a late answer of that one is recognised)."""
    figureless: bool = False
    """An answer came without figures (a stand-in client that reports none): there is
    nothing to probe for, so unknown figures no longer hold calls back."""


def reserve_of(limit: int | None, fraction: float) -> int:
    """How many calls of a ``limit`` window never-seen cookies must leave (rounded up)."""
    return math.ceil(limit * fraction) if limit else 0


def floor_of(spender: Spender, limit: int | None, fraction: float) -> int:
    """How many calls of the window ``spender`` must leave: the reserve for a
    never-seen cookie, its larger half for a sign-in, none for a cached session."""
    if spender is Spender.KNOWN:
        return 0
    reserve = reserve_of(limit, fraction)
    return reserve if spender is Spender.NEW_COOKIE else reserve - reserve // 2


def roll(figures: BucketFigures, now: float) -> None:
    """Turn the window if it has ended on our clock: the new one starts from the last
    ``limit`` (Okta keeps a bucket's limit), counted down by every call let through
    until an answer of the new window tells. A ``limit`` of 0 (a concurrency 429's
    figures) says nothing about the next window: unknown."""
    if now < figures.window_ends or (figures.remaining is None and figures.limit is None):
        return
    turns = math.floor((now - figures.window_ends) / WINDOW) + 1
    figures.window_ends += turns * WINDOW
    figures.remaining = figures.limit or None
    figures.estimated = True


def admits(figures: BucketFigures | None, spender: Spender, fraction: float, now: float) -> bool:
    """May ``spender`` make one call in this bucket now (figures already ``roll``-ed)?
    A 429 closes the bucket for everyone until Reset. Unknown figures admit cached
    sessions, and at most ``PROBE_CALLS`` others in flight (the first answer tells)."""
    if figures is None:
        return True
    if now < figures.closed_until:
        return False
    if figures.remaining is None:
        return spender is Spender.KNOWN or figures.figureless or figures.in_flight < PROBE_CALLS
    return figures.remaining > floor_of(spender, figures.limit, fraction)


def _update(figures: BucketFigures, rate_limit: RateLimit, now: float, ends: float) -> None:
    """Take in one answer's figures: a late answer of a window that has turned is
    ignored; in the window being counted, calls let through after it was sent still
    count (the lower of Okta's and our count wins)."""
    old, new = figures.reset, rate_limit.reset
    if old is not None and new is not None and (new < old or (new == old and figures.estimated)):
        return
    remaining = rate_limit.remaining
    assert remaining is not None
    counting = figures.remaining is not None and now < figures.window_ends
    if counting and (old == new or figures.estimated):
        assert figures.remaining is not None
        remaining = min(remaining, figures.remaining)
    figures.remaining = remaining
    figures.estimated = False
    figures.limit = rate_limit.limit
    figures.reset = new
    figures.window_ends = ends


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
    """Calls per client address (``address_key``: an IPv6 client's /64; requests with
    no address share ``NO_ADDRESS``): a token bucket each, holding
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
        """Spend one call for ``address``; False when its bucket is empty. Requests
        with no address (no transport peer: a Unix socket) share one bucket."""
        if self.per_minute <= 0:
            return True
        capacity = float(self.per_minute)
        address = NO_ADDRESS if address is None else address_key(address)
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
    clients); the flow asks ``take`` before each call, ``done`` after it (``resume``
    when a call given back is made after all), and ``close_for`` after a 429. Besides
    each endpoint's figures the gate keeps its API family's (``family_of``), fed by
    every endpoint of it and counted down by each of their calls: calls for never-seen
    cookies must leave the reserve in both.
    """

    __slots__ = ("_buckets", "_families", "_lock", "addresses", "reserve_fraction", "sign_ins")

    def __init__(
        self,
        reserve_fraction: float = 0.0,
        new_cookie_lookups_per_minute: int = 0,
        *,
        sign_ins_per_minute: int = 0,
        max_addresses: int = 10_000,
    ) -> None:
        self.reserve_fraction = reserve_fraction
        self.addresses = AddressAllowance(new_cookie_lookups_per_minute, max_addresses)
        self.sign_ins = AddressAllowance(sign_ins_per_minute, max_addresses)
        self._buckets: dict[str, BucketFigures] = {}
        self._families: dict[str, BucketFigures] = {}
        self._lock = threading.Lock()

    def figures(self, operation: str) -> BucketFigures | None:
        """What we know of ``operation``'s bucket (a copy), or None before any answer."""
        with self._lock:
            figures = self._buckets.get(bucket_of(operation))
            return None if figures is None else dataclasses.replace(figures)

    def _pair(self, operation: str, now: float) -> tuple[BucketFigures, BucketFigures]:
        figures = self._buckets.setdefault(bucket_of(operation), BucketFigures())
        family = self._families.setdefault(family_of(operation), BucketFigures())
        roll(figures, now)
        roll(family, now)
        return figures, family

    def _admits(
        self, figures: BucketFigures, family: BucketFigures, spender: Spender, now: float
    ) -> bool:
        fraction = self.reserve_fraction
        if not admits(figures, spender, fraction, now):
            return False
        if spender is not Spender.NEW_COOKIE or family.remaining is None:
            return True
        return family.remaining > reserve_of(family.limit, fraction)

    def open(self, operation: str, spender: Spender, now: float) -> bool:
        """Would ``take`` admit this call (without spending anything)?"""
        with self._lock:
            return self._admits(*self._pair(operation, now), spender, now)

    def known(self, operation: str) -> bool:
        """Whether the bucket's figures are known (or never will be): no probe needed."""
        with self._lock:
            figures = self._buckets.get(bucket_of(operation))
            return figures is not None and (figures.remaining is not None or figures.figureless)

    def take(
        self, operation: str, spender: Spender, now: float, address: str | None = None
    ) -> bool:
        """Admit one call and count it against the bucket, or refuse it (False). An
        admitted call is in flight until ``done``: call it when the answer is in.

        A never-seen cookie also spends one call of its client ``address``'s
        allowance, a sign-in one of the address's sign-in allowance; a call refused by
        the bucket leaves the address its token."""
        allowance = (
            self.addresses if spender is Spender.NEW_COOKIE
            else self.sign_ins if spender is Spender.SIGN_IN
            else None
        )  # fmt: skip
        with self._lock:
            figures, family = self._pair(operation, now)
            if not self._admits(figures, family, spender, now):
                return False
            if allowance is not None and not allowance.take(address, now):
                return False
            for counted in (figures, family):
                if counted.remaining is not None:
                    counted.remaining -= 1
            figures.in_flight += 1
            return True

    def resume(self, operation: str, now: float) -> bool:
        """A call ``take`` admitted and ``done`` gave back (its cookie was claimed by
        another worker) is to be made after all: in flight again, nothing spent twice.
        False when a 429 has closed the bucket since: then it is not made."""
        with self._lock:
            figures = self._buckets.get(bucket_of(operation))
            if figures is None:
                return True
            if now < figures.closed_until:
                return False
            figures.in_flight += 1
            return True

    def done(self, operation: str, *, answered: bool = False) -> None:
        """A call ``take`` admitted is over: no longer in flight. ``answered``: Okta
        answered it (any status); if that brought no figures, none will come."""
        with self._lock:
            figures = self._buckets.get(bucket_of(operation))
            if figures is None:
                return
            if figures.in_flight > 0:
                figures.in_flight -= 1
            if answered and figures.remaining is None and figures.limit is None:
                figures.figureless = True

    def observe(self, operation: str, rate_limit: RateLimit, now: float) -> None:
        """Take in the figures of one answer from ``operation``'s bucket (and family)."""
        if rate_limit.remaining is None:
            return
        ends = now + _bounded(rate_limit.wait_seconds(now))
        with self._lock:
            figures = self._buckets.setdefault(bucket_of(operation), BucketFigures())
            family = self._families.setdefault(family_of(operation), BucketFigures())
            _update(figures, rate_limit, now, ends)
            _update(family, rate_limit, now, ends)

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
            self._families.clear()
