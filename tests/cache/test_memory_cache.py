"""The in-process cache: its LRU, its session-id index and its "ended" markers."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from okta_session_mw import OktaSessionConfig, Session, SessionService
from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_app, make_config
from tests.support.okta_users import LOGIN

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(
    org_url="https://example.okta.com", cache_ttl=60, stale_if_error=120, refresh_threshold=300
)


def entry_for(session_id: str, now: float = NOW, expires_in: float = 3600) -> CacheEntry:
    expires = datetime.fromtimestamp(NOW + expires_in, tz=timezone.utc)
    okta = {"id": session_id, "status": "ACTIVE", "expiresAt": expires.isoformat()}
    return positive_entry(Session.from_okta(okta), now, CONFIG)


def test_i10_08_evict_session_finds_an_entry_kept_alive_by_reads() -> None:
    # A session read on every request stays in the LRU while many other sessions are
    # stored: its index must stay too, or an admin revoke misses it.
    cache = MemorySessionCache(3, timer=lambda: NOW)
    cache.set("k-busy", entry_for("busy"))
    for n in range(10):
        assert cache.get("k-busy") is not None  # the busy user's next request
        cache.set(f"k-{n}", entry_for(f"other-{n}"))  # someone else signs in
    cache.evict_session("busy")
    assert cache.get("k-busy") is None


def test_index_follows_the_entries_it_points_at() -> None:
    cache = MemorySessionCache(2, timer=lambda: NOW)
    cache.set("k-sid", entry_for("s1"))
    cache.set("k-idx", entry_for("s1"))
    cache.set("k-sid", entry_for("s2"))  # the cookie now holds another session
    cache.evict_session("s1")
    assert cache.get("k-idx") is None
    assert cache.get("k-sid") is not None  # s2 is not s1's to evict
    for n in range(5):
        cache.set(f"k-{n}", entry_for(f"other-{n}"))
    assert len(cache._by_session) <= 2  # bounded by the entries it points at


async def test_i10_08_admin_revoke_reaches_a_session_that_outlived_many_sign_ins(
    okta: FakeOkta,
) -> None:
    service = SessionService(make_config(okta, cache_maxsize=3), clock=okta.now)
    transport = httpx.ASGITransport(app=make_app(service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            busy = okta.create_session(LOGIN)
            for _ in range(6):
                assert (await c.get("/", headers={"cookie": f"sid={busy}"})).json()["id"] == busy
                other = okta.create_session(LOGIN)  # someone else signs in
                assert (await c.get("/", headers={"cookie": f"sid={other}"})).json()["id"]
            assert await service.arevoke(busy) is True
            assert (await c.get("/", headers={"cookie": f"sid={busy}"})).json()["id"] is None
    finally:
        await service.aclose()


def test_i10_09_a_cache_without_the_ended_question_is_refused() -> None:
    """A cache of one's own that cannot say whether a cookie or session ended would let
    a lookup under way serve a session after its logout: refused at start-up."""

    class OldCache:  # the protocol as it was before ``ended`` joined it
        def get(self, key: str) -> None:
            return None

        claim = set = evict = evict_session = get

    config = OktaSessionConfig(org_url="https://example.okta.com")
    with pytest.raises(TypeError, match="missing ended"):
        SessionService(config, cache=OldCache())


def test_i12_02_the_bound_pushes_out_the_oldest_entry_nobody_read() -> None:
    cache = MemorySessionCache(3, timer=lambda: NOW)
    for name in ("a", "b", "c"):
        cache.set(f"k-{name}", entry_for(name))
    assert cache.peek("k-a") is not None  # the hit path's read...
    cache.touch("k-a")  # ... and, as it served "a", its mark
    cache.set("k-d", entry_for("d"))
    assert [cache.get(k) is not None for k in ("k-a", "k-b", "k-c", "k-d")] == [
        True,
        False,  # the oldest that nobody read since
        True,
        True,
    ]
    cache.set("k-e", entry_for("e"))  # every one was read: one sweep, then the oldest goes
    # (the reads above marked a, c and d; c was the oldest by then)
    assert sorted(k for k in ("k-a", "k-c", "k-d", "k-e") if cache.peek(k)) == [
        "k-a",
        "k-d",
        "k-e",
    ]


def test_i12_02_a_full_cache_of_busy_sessions_still_keeps_the_one_just_stored() -> None:
    cache = MemorySessionCache(2, timer=lambda: NOW)
    cache.set("k-a", entry_for("a"))
    cache.set("k-b", entry_for("b"))
    cache.get("k-a"), cache.get("k-b")
    cache.set("k-new", entry_for("new"))
    assert cache.peek("k-new") is not None
    assert len(cache) == 2


def test_i12_02_the_marks_of_dropped_keys_stay_bounded() -> None:
    cache = MemorySessionCache(4, timer=lambda: NOW)
    for n in range(50):
        cache.set(f"k-{n}", entry_for(f"s-{n}"))
        cache.touch(f"k-{n}")
        cache.touch(f"gone-{n}")  # what a read racing the key's drop leaves behind
    assert len(cache._used) <= 4 + 2  # the entries' keys, and at most two strays
    assert len(cache._entries) == 4


def test_i12_02_peek_and_touch_take_no_lock_and_serve_what_is_there() -> None:
    cache = MemorySessionCache(4, timer=lambda: NOW)
    cache.set("k", entry_for("s"))
    with cache._lock:  # a writer holds the lock: the hit path does not wait for it
        entry = cache.peek("k")
        cache.touch("k")
    assert entry is not None and entry.session is not None and entry.session.id == "s"
    assert cache.peek("missing") is None
    assert "k" in cache._used
