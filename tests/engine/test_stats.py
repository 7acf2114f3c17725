"""Observability (issue 7): counters readable from one stats object and pushed to a hook."""

from __future__ import annotations

from okta_session_mw import SessionService, SessionStats
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_config
from tests.support.okta_users import API_TOKEN, LOGIN


async def test_counters_and_hook_see_every_kind_of_event() -> None:
    fake = FakeOkta(api_token=API_TOKEN, idle_timeout=600)
    fake.add_user(LOGIN, "pw")
    events: list[tuple[str, float]] = []
    with serve_fake_okta(fake):
        config = make_config(fake, cache_ttl=60, refresh_threshold=300, stale_if_error=600)
        service = SessionService(
            config, clock=fake.now, stats=SessionStats(on_event=lambda n, v: events.append((n, v)))
        )
        cookie = fake.cookie_header(fake.create_session(LOGIN))
        await service.aresolve(cookie)  # miss
        await service.aresolve(cookie)  # hit
        await service.aresolve("sid=unknown")  # miss (negative)
        await service.aresolve("sid=unknown")  # negative hit
        await service.aresolve_request(None, "/")  # no cookie: nothing counted
        fake.advance(400)  # inside the refresh window, past the cache TTL
        await service.aresolve(cookie)  # miss, asked as a refresh (one call does both)
        fake.advance(61)
        fake.inject(status=500)
        await service.aresolve(cookie)  # Okta 500: served stale
        fake.clear_faults()
        fake.advance(61)
        fake.rate_limit_until(fake.now() + 30)
        await service.aresolve(cookie)  # 429: stale again
        await service.aclose()
    stats = service.stats.snapshot()
    assert stats["resolve.miss"] == 3
    assert stats["resolve.hit"] == 1
    assert stats["resolve.negative_hit"] == 1
    assert stats["resolve.stale"] == 2
    assert stats["okta_call.refresh_current_session"] == 1
    assert stats["okta_error.OktaServerError"] == 1
    assert stats["okta_error.OktaRateLimitError"] == 1
    assert stats["okta_call.get_current_session"] == 4
    assert stats["okta_latency_avg.get_current_session"] > 0
    names = [name for name, _ in events]
    assert names.count("resolve.hit") == 1
    assert "okta_latency.get_current_session" in names
    assert all(value == 1 for name, value in events if not name.startswith("okta_latency."))
