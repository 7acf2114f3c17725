"""What a request's session is: the cache, else one Okta lookup, then a refresh if due.

Written once as flows (``effects.py``) that the sync and async runners both run: the
hit path (``answer_without_io``, with its rules in ``hit.py``), single flight per
process and across workers, the refresh (once per ``expiresAt`` for the whole cluster,
with a back-off), refresh-ahead (a background revalidation in an entry's last stretch,
``revalidate.py``: behaviour 16), stale-if-error, and the last word to an end seen
meanwhile (behaviour 13).
"""

from __future__ import annotations

import math

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.engine.answers import NO_SESSION, store_answer
from okta_session_mw.engine.deadline import shared_wait
from okta_session_mw.engine.effects import (
    Flow,
    cache_claim,
    cache_ended,
    cache_get,
    cache_release,
    cache_set,
    in_background,
    together,
    unless_running,
)
from okta_session_mw.engine.follow import follow
from okta_session_mw.engine.hit import (
    AHEAD,
    HitRules,
    answer_without_io,
    revalidates,
    wants_refresh,
)
from okta_session_mw.engine.limits import Spender
from okta_session_mw.engine.okta_calls import admit, gated, note_failure, probing, resume
from okta_session_mw.engine.policy import (
    is_fresh,
    mark_refresh_tried,
    negative_entry,
    refresh_due,
    stale_usable,
)
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.revalidate import claim_refresh, refresh_name, revalidate
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import OktaSessionError
from okta_session_mw.okta import operations
from okta_session_mw.okta.session import Session

__all__ = ["HitRules", "answer_without_io", "fallback", "resolve", "store_answer"]


def resolve(key: str, cookie: str, rules: Rules, client: str | None = None) -> Flow[Resolution]:
    """The session for a cookie: cache, else one Okta lookup, then a refresh if due.

    ``client`` is the request's transport peer address: lookups of cookies with no
    cached session are bounded per address (behaviour 14)."""
    clock = rules.clock
    entry = yield from cache_get(key)
    hit = answer_without_io(entry, clock(), rules, key)
    if hit is not None:  # what the cache holds now: an end would have evicted it
        return hit
    if is_fresh(entry, clock()):  # fresh, and to revalidate ahead or due for its refresh
        assert entry is not None
        if rules.ahead > 0:  # refresh-ahead: served now, revalidated (or refreshed) behind
            yield from _behind(key, cookie, entry, rules)
            return entry.hit  # what the cache holds now: an end would have evicted it
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
    if rules.ahead > 0 and entry is not None and resolution.session is not None:
        # refresh-ahead: a refresh due after a lookup is made behind too, by the one
        # revalidation of this key (a second flow refreshing here would race it)
        yield from _behind(key, cookie, entry, rules)
    elif wants_refresh(entry, clock(), rules, key):
        refreshed = yield from unless_running("refresh:" + key, _refresh(key, cookie, rules))
        if refreshed is not None:
            resolution = Resolution(refreshed.session, resolution.source)
            entry = refreshed
    return (yield from _unless_ended(key, resolution, entry))


def _behind(key: str, cookie: str, entry: CacheEntry, rules: Rules) -> Flow[None]:
    """Start the one background revalidation of ``key`` (refresh-ahead) when it is due,
    held while it runs (at most a timeout), so the requests meanwhile are plain hits,
    not flows that find it running."""
    if revalidates(entry, rules.clock(), rules, key):
        rules.backoff.pause(AHEAD + key, rules.clock(), rules.config.timeout)
        yield from in_background(AHEAD + key, revalidate(key, cookie, rules))


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
    refreshing = wants_refresh(entry, clock(), rules, key)
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
    if not (yield from admit(rules, operation, spender, client)):
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
        if not (yield from resume(rules, operation)):  # took the claim over; a 429 meanwhile?
            yield from cache_release(key)
            return entry, fallback(entry, clock())
    previous = mark_refresh_tried(entry) if refreshing and entry is not None else entry
    asked = clock()
    build = operations.refresh_current_session if refreshing else operations.get_current_session
    try:
        session: Session = yield from gated(rules, build, cookie, spender)
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
    """RefreshCurrentSession once per expiresAt for the whole cluster (the refresh's
    claim); the cache takes the new expiresAt."""
    config, gate, clock = rules.config, rules.gate, rules.clock
    entry = yield from cache_get(key)
    if entry is None or not refresh_due(entry, clock(), config):
        return None
    if not (yield from claim_refresh(key, entry, rules)):
        return None  # another worker refreshes (or refreshed) this expiresAt
    if not (yield from admit(rules, "refresh_current_session", Spender.KNOWN)):
        yield from cache_release(refresh_name(key, entry))
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
        yield from cache_release(refresh_name(key, entry))
        yield from cache_set(key, entry)  # not answered: try again after the back-off
        return None
    # If Okta capped the session (same expiresAt), it stays marked: never asked again.
    refreshed: CacheEntry = yield from store_answer(key, session, asked, rules, tried, True)
    return refreshed





def fallback(entry: CacheEntry | None, now: float) -> Resolution:
    """Okta cannot be asked: serve the stale session if allowed, else say "unavailable"."""
    session = stale_usable(entry, now)
    if session is not None:
        return Resolution(session, Source.STALE)
    return Resolution(None, Source.UNAVAILABLE)
