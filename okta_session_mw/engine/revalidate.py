"""Asking Okta again about a cached session: the claim on its one refresh per
expiresAt for the whole cluster, and refresh-ahead's background revalidation
(behaviour 16), which ``lookup.resolve`` starts while it serves the still-fresh entry.

The guarantee: a session requested at least once per window (``refresh_ahead *
cache_ttl``) never makes a request wait on Okta after its first sight. Each
revalidation restarts the entry's ``cache_ttl``, so with continuous traffic Okta is
asked ``1 / (1 - refresh_ahead)`` times per session per ``cache_ttl`` (1.25 at 0.2),
once for the whole cluster with Redis. Nothing is served past ``fresh_until`` but by
``stale_if_error`` while Okta fails (behaviour 3).
"""

from __future__ import annotations

import hashlib

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.engine.answers import NO_SESSION, store_answer
from okta_session_mw.engine.effects import (
    Flow,
    cache_claim,
    cache_evict_session,
    cache_get,
    cache_release,
    cache_set,
)
from okta_session_mw.engine.hit import AHEAD, ahead_due, wants_refresh
from okta_session_mw.engine.limits import Spender
from okta_session_mw.engine.okta_calls import admit, gated, note_failure
from okta_session_mw.engine.policy import is_fresh, mark_refresh_tried, negative_entry
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import OktaSessionError
from okta_session_mw.okta import operations
from okta_session_mw.okta.session import Session

__all__ = ["claim_refresh", "refresh_name", "revalidate"]


def refresh_name(key: str, entry: CacheEntry) -> str:
    """The name of the claim on the one refresh of ``key``'s session for the expiresAt
    of ``entry``: a cache key of its own (64 hex digits), so every cache claims it."""
    return hashlib.sha256(f"refresh:{key}:{entry.expires!r}".encode()).hexdigest()


def claim_refresh(key: str, entry: CacheEntry, rules: Rules) -> Flow[bool]:
    """True when this flow may make the one refresh of ``entry``'s expiresAt: claimed
    across workers (per process the in-process cache's YOURS, under the single flight
    of ``refresh:``). Held for ``refresh_threshold``, all the time a refresh of that
    expiresAt can be due; given back when Okta did not answer. Every worker asks with
    the same TTL, so none takes another's claim over as too long."""
    ttl = max(rules.config.refresh_threshold, rules.config.timeout)
    return (yield from cache_claim(refresh_name(key, entry), ttl)) is Claimed.YOURS


def revalidate(key: str, cookie: str, rules: Rules) -> Flow[None]:
    """Refresh-ahead (behaviour 16), run in the background while requests are served
    the still-fresh entry: ask Okta again, once per session for the whole cluster (the
    cookie's claim: a worker that finds another asking drops it, never waits), as a
    known session at the gate (refused: skipped), RefreshCurrentSession when the
    refresh is due (its own claim, once per expiresAt) else GetCurrentSession. The
    answer replaces the entry (an end seen meanwhile wins: ``store_answer``); a session
    gone at Okta ends like a logout (evicted by id, "no session" cached); a call Okta
    did not answer is not tried again for ``REFRESH_RETRY_PAUSE``: the entry serves
    out its freshness, then the miss path (and stale-if-error) take over."""
    failed = yield from _revalidate(key, cookie, rules)
    if not failed:  # done, or dropped: no longer under way
        rules.backoff.clear(AHEAD + key)


def _revalidate(key: str, cookie: str, rules: Rules) -> Flow[bool]:
    """``revalidate``'s steps; True when Okta did not answer (backed off)."""
    clock = rules.clock
    entry = yield from cache_get(key)
    if entry is None or not is_fresh(entry, clock()) or not ahead_due(entry, clock(), rules, key):
        return False  # gone, ended, or already revalidated (by another worker)
    if not (yield from _claim_ahead(key, rules)):
        return False  # another worker is asking (or has answered): nothing to wait for
    refreshing = wants_refresh(entry, clock(), rules, key)
    if refreshing:
        refreshing = yield from claim_refresh(key, entry, rules)
    operation = "refresh_current_session" if refreshing else "get_current_session"
    if not (yield from admit(rules, operation, Spender.KNOWN)):
        yield from cache_release(key)
        yield from _unclaim_refresh(key, entry, refreshing)
        return False
    previous = mark_refresh_tried(entry) if refreshing else entry
    asked = clock()
    build = operations.refresh_current_session if refreshing else operations.get_current_session
    try:
        session: Session = yield from gated(rules, build, cookie)
    except NO_SESSION:  # gone at Okta: ended like a logout, on every worker
        assert entry.session is not None
        yield from cache_evict_session(entry.session.id)
        yield from cache_set(key, negative_entry(clock(), rules.config))
        return False
    except OktaSessionError as exc:
        note_failure(exc, rules, operation)
        rules.backoff.failed(AHEAD + key, clock())
        if refreshing:
            rules.backoff.failed(key, clock())
        yield from cache_release(key)
        yield from _unclaim_refresh(key, entry, refreshing)
        return True
    yield from store_answer(key, session, asked, rules, previous, refreshing)
    return False


def _claim_ahead(key: str, rules: Rules) -> Flow[bool]:
    """The cookie's claim for a revalidation: YOURS, or ANSWERED for the entry it is to
    revalidate (the claim an answer leaves lasts its freshness), then taken over unless
    another worker asks by then; anything else: another worker asks, or answered."""
    timeout = rules.config.timeout
    claim = yield from cache_claim(key, timeout)
    if claim is Claimed.ANSWERED:
        again = yield from cache_get(key)
        if again is None or not ahead_due(again, rules.clock(), rules, key):
            return False  # revalidated meanwhile
        claim = yield from cache_claim(key, timeout, take_over=True)
    return claim is Claimed.YOURS


def _unclaim_refresh(key: str, entry: CacheEntry, refreshing: bool) -> Flow[None]:
    if refreshing:
        yield from cache_release(refresh_name(key, entry))
