"""What a request's session is: the cache, else one Okta lookup, then a refresh if due.

Written once as flows (``effects.py``) that the sync and async runners both run: the
hit path (``answer_without_io``), single flight per process and across workers, the
refresh (once per ``expiresAt``, with a back-off), stale-if-error, and the last word to
an end seen meanwhile (behaviour 13).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.deadline import shared_wait
from okta_session_mw.engine.effects import (
    Flow,
    cache_claim,
    cache_ended,
    cache_get,
    cache_release,
    cache_set,
    together,
    unless_running,
)
from okta_session_mw.engine.follow import follow
from okta_session_mw.engine.limits import RateLimitGate, Spender
from okta_session_mw.engine.okta_calls import gated, note_failure, probing
from okta_session_mw.engine.policy import (
    is_fresh,
    mark_refresh_tried,
    negative_entry,
    positive_entry,
    refresh_due,
    stale_usable,
)
from okta_session_mw.engine.refresh_backoff import RefreshBackoff
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import (
    InvalidRequestError,
    OktaAuthError,
    OktaNotFoundError,
    OktaSessionError,
)
from okta_session_mw.okta import operations
from okta_session_mw.okta.session import Session

__all__ = ["HitRules", "answer_without_io", "fallback", "resolve", "store_answer"]

NO_SESSION = (OktaNotFoundError, OktaAuthError, InvalidRequestError)
"""404 is Okta's "no session"; 401/403 are what some orgs answer for a bad cookie; a
cookie that cannot even be sent is no session either."""


def _wants_refresh(entry: CacheEntry | None, now: float, rules: Rules | HitRules, key: str) -> bool:
    """Due (policy), Okta not rate-limited, and no recent failed refresh for this key."""
    return (
        refresh_due(entry, now, rules.config)
        and rules.gate.open("refresh_current_session", Spender.KNOWN, now)
        and rules.backoff.allows(key, now)
    )


class HitRules(NamedTuple):
    """What the hit path consults (a part of ``Rules``: no client, no stats)."""

    config: OktaSessionConfig
    gate: RateLimitGate
    backoff: RefreshBackoff


def answer_without_io(
    entry: CacheEntry | None, now: float, rules: Rules | HitRules, key: str
) -> Resolution | None:
    """The hit: a fresh entry with no refresh to do is the answer. The first step of
    ``resolve``, and (the cache in-process) all of a hit, with no flow, runner or
    coroutine at all (``ServiceCore.prepare``). None means "go on with ``resolve``"."""
    if entry is None or now >= entry.fresh_until:
        return None
    # Most hits are far from expiry: one subtraction rules a refresh out.
    if entry.expires - now < rules.config.refresh_threshold and _wants_refresh(
        entry, now, rules, key
    ):
        return None
    return entry.hit


def resolve(key: str, cookie: str, rules: Rules, client: str | None = None) -> Flow[Resolution]:
    """The session for a cookie: cache, else one Okta lookup, then a refresh if due.

    ``client`` is the request's transport peer address: lookups of cookies with no
    cached session are bounded per address (behaviour 14)."""
    clock = rules.clock
    entry = yield from cache_get(key)
    hit = answer_without_io(entry, clock(), rules, key)
    if hit is not None:  # what the cache holds now: an end would have evicted it
        return hit
    if is_fresh(entry, clock()):  # fresh, and due for its refresh
        assert entry is not None
        resolution = entry.hit
    else:
        try:
            entry, resolution = yield from together(
                "lookup:" + key, _lookup(key, cookie, rules, client), shared_wait(rules.config)
            )
        except OktaSessionError:  # waited too long for a concurrent lookup
            return (yield from _unless_ended(key, fallback(entry, clock()), entry))
    # Due for its refresh (one request does it; a lookup that just refreshed marked the
    # entry, so this is skipped). The request's deadline bounds both calls together.
    if _wants_refresh(entry, clock(), rules, key):
        refreshed = yield from unless_running("refresh:" + key, _refresh(key, cookie, rules))
        if refreshed is not None:
            resolution = Resolution(refreshed.session, resolution.source)
            entry = refreshed
    return (yield from _unless_ended(key, resolution, entry))


def _unless_ended(key: str, resolution: Resolution, entry: CacheEntry | None) -> Flow[Resolution]:
    """Ended means ended (behaviour 13): a session that comes from Okta, from a lookup
    this request joined, from a refresh or from a stale entry may predate a logout,
    revoke or end of its user that has returned since; it is served only if the cache
    saw no such end.
    ``entry`` holds the session served, and its ``fetched_at`` when Okta was asked."""
    session = resolution.session
    if session is not None:
        asked_at = entry.fetched_at if entry is not None else -math.inf
        if (yield from cache_ended(key, session.id, asked_at, session.user_id or "")):
            return Resolution(None, Source.MISS)
    return resolution


Answer = tuple[CacheEntry | None, Resolution]


def _lookup(key: str, cookie: str, rules: Rules, client: str | None) -> Flow[Answer]:
    """Ask Okta unless the cache was filled meanwhile or the gate refuses the call.

    The question is GetCurrentSession, or RefreshCurrentSession when the session we
    last saw is due for its refresh: both answer with the session (or 404), so one
    call, one timeout, does both. A cookie with no cached session may not spend the
    reserve of Okta's window, nor more than its client address's allowance: refused, it
    reads as "unavailable" (503 on protected views, never a redirect to the login page,
    which could loop back here) and nothing is cached.
    """
    clock = rules.clock
    entry = yield from cache_get(key)
    if is_fresh(entry, clock()):
        assert entry is not None
        return entry, entry.hit
    refreshing = _wants_refresh(entry, clock(), rules, key)
    operation = "refresh_current_session" if refreshing else "get_current_session"
    known = entry is not None and entry.session is not None
    spender = Spender.KNOWN if known else Spender.NEW_COOKIE
    asked: Answer = yield from probing(
        rules, operation, spender,
        lambda: _ask(key, cookie, rules, client, entry, refreshing, spender),
    )  # fmt: skip
    return asked


def _ask(
    key: str,
    cookie: str,
    rules: Rules,
    client: str | None,
    entry: CacheEntry | None,
    refreshing: bool,
    spender: Spender,
) -> Flow[Answer]:
    """``_lookup``'s call: admitted by the gate, claimed across workers, then asked."""
    gate, clock = rules.gate, rules.clock
    operation = "refresh_current_session" if refreshing else "get_current_session"
    if not gate.take(operation, spender, clock(), client):
        return entry, fallback(entry, clock())
    claim = Claimed.ASKING
    try:
        claim = yield from cache_claim(key, rules.config.timeout)
    finally:
        if claim is not Claimed.YOURS:
            # Not ours to ask: nothing in flight while we follow (a follower counted as
            # in flight would hold the start-up probe's place for a whole wait).
            gate.done(operation)
    if claim is not Claimed.YOURS:
        shared, claim = yield from follow(key, claim, rules)
        if shared is not None:
            return shared, shared.hit
        if claim is not Claimed.YOURS:
            # Another worker is asking Okta and no answer came within the timeout: do
            # not spend a second timeout asking Okta too.
            return entry, fallback(entry, clock())
        if not gate.resume(operation, clock()):  # took the claim over; a 429 meanwhile?
            yield from cache_release(key)
            return entry, fallback(entry, clock())
    previous = mark_refresh_tried(entry) if refreshing and entry is not None else entry
    asked = clock()
    build = operations.refresh_current_session if refreshing else operations.get_current_session
    try:
        session: Session = yield from gated(rules, build, cookie)
    except NO_SESSION:
        negative = negative_entry(clock(), rules.config)
        yield from cache_set(key, negative)
        return negative, Resolution(None, Source.MISS)
    except OktaSessionError as exc:
        note_failure(exc, rules, operation)
        if refreshing:
            rules.backoff.failed(key, clock())
        yield from cache_release(key)  # no answer coming: the next request asks at once
        return entry, fallback(entry, clock())
    fresh = yield from store_answer(key, session, asked, rules, previous, refreshing)
    return fresh, Resolution(fresh.session, Source.MISS)


def _refresh(key: str, cookie: str, rules: Rules) -> Flow[CacheEntry | None]:
    """RefreshCurrentSession once per expiresAt; the cache takes the new expiresAt."""
    config, gate, clock = rules.config, rules.gate, rules.clock
    entry = yield from cache_get(key)
    if entry is None or not refresh_due(entry, clock(), config):
        return None
    if not gate.take("refresh_current_session", Spender.KNOWN, clock()):
        return None
    tried = mark_refresh_tried(entry)
    try:
        yield from cache_set(key, tried)  # other requests and workers now skip this expiresAt
    except BaseException:  # closed or the cache failed: no call, nothing in flight
        gate.done("refresh_current_session")
        raise
    asked = clock()
    try:
        session: Session = yield from gated(rules, operations.refresh_current_session, cookie)
    except NO_SESSION:  # as in ``_ask``
        negative = negative_entry(clock(), config)
        yield from cache_set(key, negative)
        return negative
    except OktaSessionError as exc:
        note_failure(exc, rules, "refresh_current_session")
        rules.backoff.failed(key, clock())
        yield from cache_set(key, entry)  # not answered: try again after the back-off
        return None
    # If Okta capped the session (same expiresAt), it stays marked: never asked again.
    refreshed: CacheEntry = yield from store_answer(key, session, asked, rules, tried, True)
    return refreshed


def store_answer(
    key: str,
    session: Session,
    asked: float,
    rules: Rules,
    previous: CacheEntry | None,
    refreshed: bool,
) -> Flow[CacheEntry]:
    """Cache what Okta answered with a session (``refreshed``: to a refresh) to the
    question asked at ``asked``, and return the entry stored."""
    now, config = rules.clock(), rules.config
    if session.expires_at.timestamp() <= now:
        # Okta's clock and ours disagree: never serve a session past its expiresAt.
        entry = negative_entry(now, config)
    else:
        entry = positive_entry(
            session, now, config, previous=previous, refreshed=refreshed, asked_at=asked
        )
    yield from cache_set(key, entry)
    return entry


def fallback(entry: CacheEntry | None, now: float) -> Resolution:
    """Okta cannot be asked: serve the stale session if allowed, else say "unavailable"."""
    session = stale_usable(entry, now)
    if session is not None:
        return Resolution(session, Source.STALE)
    return Resolution(None, Source.UNAVAILABLE)
