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
The bucket rules live in ``rate_buckets``, the per-address allowances in
``address_allowance``; ``RateLimitGate`` here holds them under one lock, and every
name is importable from this module as before.
"""

from __future__ import annotations

import dataclasses
import threading

from okta_session_mw.cache.gate_state import GateAsk, GateVerdict, SharedWindow
from okta_session_mw.engine.address_allowance import NO_ADDRESS, AddressAllowance, address_key
from okta_session_mw.engine.rate_buckets import (
    BUCKETS,
    DEFAULT_RATE_LIMIT_PAUSE,
    MAX_RATE_LIMIT_PAUSE,
    PROBE_CALLS,
    WINDOW,
    BucketFigures,
    Spender,
    admits,
    bounded_pause,
    bucket_of,
    family_of,
    reserve_of,
    roll,
    update_figures,
)
from okta_session_mw.engine.shared_gate import ask_of, bounded_ms, learn, window_of
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

    __slots__ = (
        "_buckets", "_families", "_lock", "_slots", "_unshared", "addresses",
        "reserve_fraction", "sign_ins",
    )  # fmt: skip

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
        self._unshared: dict[str, SharedWindow] = {}
        self._slots = 0
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
        seconds = bounded_pause(rate_limit.wait_seconds(now))
        ends = now + seconds
        shared = window_of(rate_limit, seconds, now)
        with self._lock:
            figures = self._buckets.setdefault(bucket_of(operation), BucketFigures())
            family = self._families.setdefault(family_of(operation), BucketFigures())
            update_figures(figures, rate_limit, now, ends)
            update_figures(family, rate_limit, now, ends)
            if shared is not None:
                self._unshared[bucket_of(operation)] = shared

    def close_for(self, operation: str, seconds: float | None, now: float) -> float:
        """After a 429: no call in ``operation``'s bucket for ``seconds`` (until Okta's
        Reset, measured on Okta's clock); a missing or absurd value is bounded.
        Returns the time the bucket opens again."""
        until = now + bounded_pause(seconds)
        with self._lock:
            figures = self._buckets.setdefault(bucket_of(operation), BucketFigures())
            figures.closed_until = max(figures.closed_until, until)
            return figures.closed_until

    # -- a shared gate (cache/gate_state.py, engine/okta_calls.py) ---------------------
    def shared_ask(
        self, operation: str, spender: Spender, now: float, *, count: bool = True, org: str = ""
    ) -> GateAsk:
        """What to ask a shared gate for one call of ``spender`` (``shared_gate.ask_of``)
        about the Okta org ``org`` (its ``org_scope``)."""
        with self._lock:
            figures, family = self._pair(operation, now)
            return ask_of(
                bucket_of(operation), figures, family_of(operation), family,
                spender, self.reserve_fraction, now, count=count, org=org,
            )  # fmt: skip

    def learn(self, operation: str, verdict: GateVerdict, now: float) -> None:
        """Take in a shared gate's answer: its windows, and a pause a 429 seen by any
        worker started (``closed_ms`` from now), never longer than an honest worker
        shares (``shared_gate.bounded_ms``: a poisoned Redis cannot shut us for good)."""
        with self._lock:
            figures, family = self._pair(operation, now)
            learn(figures, verdict.bucket, now)
            learn(family, verdict.family, now)
            if verdict.closed_ms > 0:
                until = now + bounded_ms(verdict.closed_ms)
                figures.closed_until = max(figures.closed_until, until)

    def unshared(self, operation: str) -> SharedWindow | None:
        """The latest answer's figures of ``operation``'s bucket not shared yet (each
        is handed out once: the call that finishes first shares the latest)."""
        with self._lock:
            return self._unshared.pop(bucket_of(operation), None)

    def take_slot(self, limit: int) -> bool:
        """One of this process's call slots, if fewer than ``limit`` are held (the cap
        on concurrent Okta calls without a shared gate)."""
        with self._lock:
            if self._slots >= limit:
                return False
            self._slots += 1
            return True

    def give_slot(self) -> None:
        with self._lock:
            self._slots = max(0, self._slots - 1)

    def reset(self) -> None:
        """Forget every figure and pause (tests; a new Okta org)."""
        with self._lock:
            self._buckets.clear()
            self._families.clear()
            self._unshared.clear()
