"""Cache and refresh policy as plain functions of (entry, now) (the gate: test_limits.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from okta_session_mw import OktaSessionConfig, Session
from okta_session_mw.engine.policy import (
    is_fresh,
    mark_refresh_tried,
    negative_entry,
    positive_entry,
    refresh_due,
    stale_usable,
)

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(
    org_url="https://example.okta.com", cache_ttl=60, stale_if_error=120,
    negative_cache_ttl=10, refresh_threshold=300,
)


def session(expires_in: float) -> Session:
    expires = datetime.fromtimestamp(NOW + expires_in, tz=timezone.utc)
    return Session.from_okta(
        {"id": "s1", "status": "ACTIVE", "expiresAt": expires.isoformat().replace("+00:00", "Z")}
    )


def test_entry_is_fresh_for_cache_ttl_when_the_session_lasts() -> None:
    entry = positive_entry(session(7200), NOW, CONFIG)
    assert entry.fresh_until == NOW + 60
    assert entry.stale_until == NOW + 180
    assert is_fresh(entry, NOW + 59.9)
    assert not is_fresh(entry, NOW + 60)


def test_entry_never_outlives_expires_at() -> None:
    entry = positive_entry(session(30), NOW, CONFIG)
    assert entry.fresh_until == NOW + 30
    assert entry.stale_until == NOW + 30
    assert stale_usable(entry, NOW + 29) is not None
    assert stale_usable(entry, NOW + 30) is None


def test_stale_window() -> None:
    entry = positive_entry(session(7200), NOW, CONFIG)
    assert stale_usable(entry, NOW + 179) is not None
    assert stale_usable(entry, NOW + 180) is None
    assert stale_usable(negative_entry(NOW, CONFIG), NOW) is None  # "no session" is never stale
    assert stale_usable(None, NOW) is None


def test_negative_entry() -> None:
    entry = negative_entry(NOW, CONFIG)
    assert entry.session is None
    assert is_fresh(entry, NOW + 9.9)
    assert not is_fresh(entry, NOW + 10)


@pytest.mark.parametrize(
    ("expires_in", "due"), [(7200, False), (301, False), (299, True), (1, True), (0, False)]
)
def test_refresh_due_inside_the_threshold(expires_in: float, due: bool) -> None:
    entry = positive_entry(session(expires_in), NOW, CONFIG) if expires_in else None
    assert refresh_due(entry, NOW, CONFIG) is due


def test_refresh_tried_once_per_expires_at() -> None:
    entry = mark_refresh_tried(positive_entry(session(200), NOW, CONFIG))
    assert not refresh_due(entry, NOW, CONFIG)
    reread = positive_entry(session(200), NOW + 61, CONFIG, previous=entry)
    assert not refresh_due(reread, NOW + 61, CONFIG)  # same expiresAt: still tried
    extended = positive_entry(session(3600), NOW + 61, CONFIG, previous=entry)
    assert extended.refreshed_for is None  # a new expiresAt may be refreshed again later


def test_refresh_disabled_with_zero_threshold() -> None:
    config = OktaSessionConfig(org_url="https://example.okta.com", refresh_threshold=0)
    assert not refresh_due(positive_entry(session(5), NOW, config), NOW, config)



def test_rate_limit_wait_uses_oktas_clock_not_ours() -> None:
    from okta_session_mw import RateLimit

    okta_now = NOW - 90  # our clock runs 90 s ahead of Okta's
    limit = RateLimit(limit=600, remaining=0, reset=int(okta_now) + 30, date=okta_now)
    assert limit.wait_seconds(NOW) == 31  # Reset - Date + 1, whatever our clock says
    assert RateLimit(reset=int(NOW) + 10).wait_seconds(NOW) == 11  # no Date: our clock
    assert RateLimit().wait_seconds(NOW) is None


def test_memory_cache_refuses_late_answers_for_what_just_ended() -> None:
    from okta_session_mw.cache.memory import MemorySessionCache

    now = [NOW]
    cache = MemorySessionCache(100, timer=lambda: now[0], ended_ttl=60)
    entry = positive_entry(session(3600), NOW, CONFIG)
    cache.set("k-idx", entry)
    cache.evict("k-idx")  # logout by an idx cookie
    cache.set("k-idx", entry)  # a lookup that was under way answers late
    assert cache.get("k-idx") is None
    cache.evict_session("s1")  # revoke by id
    cache.set("k-other", entry)  # another cookie of the same session
    assert cache.get("k-other") is None
    cache.set("k-idx", negative_entry(NOW, CONFIG))
    assert cache.get("k-idx") is not None  # "no session" agrees with the logout
    assert cache.ended("k-idx", "s2") and cache.ended("k-other", "s1")
    now[0] = NOW + 179  # past ended_ttl, but the entry evicted could still be served stale
    assert cache.ended("k-idx", "s2")
    now[0] = NOW + 180  # then the cookie may be cached again
    assert not cache.ended("k-idx", "s2")
    cache.set("k-idx", positive_entry(session(3600), now[0], CONFIG))
    assert cache.get("k-idx") is not None


def test_a_refresh_answer_waits_half_the_lifetime_it_gave_before_the_next() -> None:
    refreshed = positive_entry(session(120), NOW, CONFIG, refreshed=True)  # idle 120 s < 300
    assert not refresh_due(refreshed, NOW + 59.9, CONFIG)
    assert refresh_due(refreshed, NOW + 60, CONFIG)
    reread = positive_entry(session(120), NOW + 30, CONFIG, previous=refreshed)
    assert reread.refresh_after == NOW + 60  # a plain lookup keeps the wait
    assert positive_entry(session(120), NOW, CONFIG).refresh_after == 0  # no refresh yet
