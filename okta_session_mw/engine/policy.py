"""Cache and refresh policy as plain functions of ``(entry, now)``.

The 429 gate and Okta's rate-limit budget are in ``limits.py``.

Nothing here does I/O or reads a clock: ``now`` is always passed in (epoch seconds),
so every rule can be tested by stating a time.
"""

from __future__ import annotations

import dataclasses

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.okta.session import Session

__all__ = [
    "negative_entry",
    "positive_entry",
    "refresh_due",
    "stale_usable",
]

def positive_entry(
    session: Session,
    now: float,
    config: OktaSessionConfig,
    previous: CacheEntry | None = None,
    *,
    refreshed: bool = False,
    asked_at: float | None = None,
) -> CacheEntry:
    """An entry for a live session: fresh for ``min(cache_ttl, expiresAt - now)``.

    Stale service after a failure may last ``stale_if_error`` longer, but never past
    expiresAt (behaviour 3 and 7). A refresh already tried for this same expiresAt
    (remembered by ``previous``) stays tried, so re-reading the session does not
    trigger it again. ``refreshed`` says the session is a refresh's answer: the next
    refresh waits until half of the lifetime it gave has passed (a refresh sooner
    gains little, and when Okta's idle lifetime is within ``refresh_threshold`` every
    request would otherwise refresh); a re-read keeps that wait. ``asked_at`` is
    when the question was put to Okta (default ``now``): the entry's ``fetched_at``,
    which an end since then outranks (``cache.SessionCache``).
    """
    expires = session.expires_at.timestamp()
    fresh = min(now + config.cache_ttl, expires)
    tried = previous.refreshed_for if previous is not None else None
    if refreshed:
        refresh_after = now + (expires - now) / 2
    else:
        refresh_after = previous.refresh_after if previous is not None else 0.0
    return CacheEntry(
        session=session,
        fetched_at=now if asked_at is None else asked_at,
        fresh_until=fresh,
        stale_until=min(fresh + config.stale_if_error, expires),
        refreshed_for=tried if tried == expires else None,
        refresh_after=refresh_after,
    )


def negative_entry(now: float, config: OktaSessionConfig) -> CacheEntry:
    """An entry saying "Okta knows no session for this cookie"; never served stale."""
    until = now + config.negative_cache_ttl
    return CacheEntry(session=None, fetched_at=now, fresh_until=until, stale_until=until)


def is_fresh(entry: CacheEntry | None, now: float) -> bool:
    return entry is not None and now < entry.fresh_until


def stale_usable(entry: CacheEntry | None, now: float) -> Session | None:
    """The session to serve while Okta is failing, if the entry may still be served."""
    if entry is None or entry.session is None or now >= entry.stale_until:
        return None
    if now >= entry.expires:
        return None
    return entry.session


def refresh_due(entry: CacheEntry | None, now: float, config: OktaSessionConfig) -> bool:
    """True when the session ends within ``refresh_threshold``, no refresh was tried
    for this expiresAt yet (behaviour 5), and the last refresh is not too recent: at
    most one per session per half of the lifetime a refresh gives."""
    if entry is None or entry.session is None or config.refresh_threshold <= 0:
        return False
    expires = entry.expires
    return (
        now < expires
        and expires - now < config.refresh_threshold
        and entry.refreshed_for != expires
        and now >= entry.refresh_after
    )


def mark_refresh_tried(entry: CacheEntry) -> CacheEntry:
    """The same entry, remembering that its expiresAt has had its one refresh attempt."""
    assert entry.session is not None
    return dataclasses.replace(entry, refreshed_for=entry.expires)
