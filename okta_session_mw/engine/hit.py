"""The hit path's rules: when a cached entry is a request's answer with no I/O, and when
it is due for its refresh (behaviour 5) or for a refresh-ahead revalidation (behaviour
16) instead. Plain functions of ``(entry, now)`` and the rules they consult (the
``HitRules`` part of ``Rules``); ``lookup.py`` runs the flows.
"""

from __future__ import annotations

from typing import NamedTuple

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.limits import RateLimitGate, Spender
from okta_session_mw.engine.policy import refresh_due
from okta_session_mw.engine.refresh_backoff import RefreshBackoff
from okta_session_mw.engine.resolution import Resolution
from okta_session_mw.engine.rules import Rules

__all__ = ["AHEAD", "HitRules", "ahead_due", "answer_without_io", "revalidates", "wants_refresh"]


def wants_refresh(entry: CacheEntry | None, now: float, rules: Rules | HitRules, key: str) -> bool:
    """Due (policy), Okta not rate-limited, and no recent failed refresh for this key."""
    return (
        refresh_due(entry, now, rules.config)
        and rules.gate.open("refresh_current_session", Spender.KNOWN, now)
        and rules.backoff.allows(key, now)
    )


AHEAD = "ahead:"
"""The prefix of a refresh-ahead revalidation's key: its single flight, its back-off."""


def revalidates(entry: CacheEntry, now: float, rules: Rules | HitRules, key: str) -> bool:
    """``ahead_due``, and no revalidation of this key under way or failed lately: then a
    request is served the entry at once and the question is asked in the background."""
    return ahead_due(entry, now, rules, key) and rules.backoff.allows(AHEAD + key, now)


def ahead_due(entry: CacheEntry, now: float, rules: Rules | HitRules, key: str) -> bool:
    """Refresh-ahead is on and a live session is in its window (the last ``rules.ahead``
    seconds of its freshness, unless that freshness ends at its expiresAt: asking again
    would not extend it) or due for its refresh, and Okta is not rate-limited."""
    if entry.session is None or rules.ahead <= 0:
        return False
    in_window = now + rules.ahead >= entry.fresh_until and entry.fresh_until < entry.expires
    return (in_window or wants_refresh(entry, now, rules, key)) and rules.gate.open(
        "get_current_session", Spender.KNOWN, now
    )


class HitRules(NamedTuple):
    """What the hit path consults (a part of ``Rules``: no client, no stats), and the
    refresh-ahead window worked out once (``refresh_ahead * cache_ttl``)."""

    config: OktaSessionConfig
    gate: RateLimitGate
    backoff: RefreshBackoff
    ahead: float

    @classmethod
    def of(
        cls, config: OktaSessionConfig, gate: RateLimitGate, backoff: RefreshBackoff
    ) -> HitRules:
        return cls(config, gate, backoff, config.refresh_ahead * config.cache_ttl)


def answer_without_io(
    entry: CacheEntry | None, now: float, rules: Rules | HitRules, key: str
) -> Resolution | None:
    """The hit: a fresh entry with no refresh and no revalidation to do is the answer.
    The first step of ``resolve``, and (the cache in-process) all of a hit, with no
    flow, runner or coroutine at all (``ServiceCore.prepare``). None means "go on with
    ``resolve``" (which serves an entry in its refresh-ahead window at once, too)."""
    if entry is None:
        return None
    # One comparison for a hit far from its window; then: expired, or to revalidate?
    if now + rules.ahead >= entry.fresh_until and (
        now >= entry.fresh_until or revalidates(entry, now, rules, key)
    ):
        return None
    # Most hits are far from expiry: one subtraction rules a refresh out. With
    # refresh-ahead on, a due refresh is made behind (``revalidates``), never waited on.
    if entry.expires - now < rules.config.refresh_threshold and (
        revalidates(entry, now, rules, key)
        if rules.ahead > 0
        else wants_refresh(entry, now, rules, key)
    ):
        return None
    return entry.hit
