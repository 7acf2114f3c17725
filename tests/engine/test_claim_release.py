"""A lookup whose Okta call fails gives its cross-process claim back (``release``).

Found by review 2 (branch ``review-c-findings``): a worker whose Okta call failed (5xx, a
refused connection, a timeout of its own) kept its Redis claim "asking" until the
claim's TTL (one ``timeout``). Every request for that cookie in that window, on this
worker or any other, then polled (``engine/follow.py``) for the whole timeout and
answered "unavailable" without asking Okta, even when Okta was healthy again.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

from okta_session_mw import OktaSessionConfig, SessionService
from okta_session_mw.cache.entry import Claimed
from okta_session_mw.cache.redis import RedisSessionCache
from okta_session_mw.engine.lookup import resolve
from okta_session_mw.engine.resolution import Source
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.apps import make_config
from tests.support.flow_steps import DictCache, OktaCall, Stepper, canned, live_session, rules_at
from tests.support.okta_users import LOGIN

pytest_plugins = ["tests.support.redis_fixtures"]

SECRET = "k" * 32
TIMEOUT = 1.0
NOW = 1_800_000_000.0
KEY = "a" * 64


def test_i14_15_a_failed_lookup_releases_its_claim_and_a_stored_one_does_not() -> None:
    config = OktaSessionConfig(org_url="https://example.okta.com")
    failing = Stepper(DictCache(), lambda call: canned(503))
    assert failing.run(resolve(KEY, "sid=s1", rules_at([NOW], config))).unavailable
    assert failing.claimed == ["claim", "release"]

    def live(call: OktaCall) -> Any:
        return live_session(NOW + 7200)

    answered = Stepper(DictCache(), live)
    assert answered.run(resolve(KEY, "sid=s1", rules_at([NOW], config))).source is Source.MISS
    assert answered.claimed == ["claim"]  # storing the answer ends the claim


def test_i14_16_redis_release_drops_an_asking_claim_only(
    redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    cache = RedisSessionCache(redis_server.url, secret_key=SECRET)
    try:
        assert cache.claim(KEY, 5.0) is Claimed.YOURS
        assert cache.claim(KEY, 5.0) is Claimed.ASKING
        cache.release(KEY)
        assert cache.claim(KEY, 5.0) is Claimed.YOURS  # given back: the next caller asks
        redis_client.set(cache._plan.codec.claim_key(KEY), "answered", px=5000)
        cache.release(KEY)  # an answer's claim is not this caller's to drop
        assert cache.claim(KEY, 5.0) is Claimed.ANSWERED
    finally:
        cache.close()


@pytest.mark.parametrize("colour", ["sync", "async"])
async def test_i14_17_after_a_failed_lookup_the_next_request_asks_okta_again(
    okta: FakeOkta, redis_server: RedisServer, redis_client: object, colour: str
) -> None:
    sid = okta.create_session(LOGIN)
    cookie = f"sid={sid}"
    cache = RedisSessionCache(redis_server.url, secret_key=SECRET)
    service = SessionService(make_config(okta, timeout=TIMEOUT, secret_key=SECRET), cache=cache)
    okta.inject(status=500, times=1, path_prefix="/api/v1/sessions/me")
    try:
        if colour == "sync":
            first = service.resolve(cookie)
            second = service.resolve(cookie)  # Okta is healthy again
        else:
            first = await service.aresolve(cookie)
            second = await service.aresolve(cookie)
    finally:
        await service.aclose()
        cache.close()
    assert first.unavailable  # Okta's one 5xx: fine
    # Before the fix the second request polled the claim for the whole timeout (nobody
    # held it any more) and answered "unavailable" without asking Okta.
    assert second.session is not None and second.session.id == sid
    assert len(okta.calls_to("GET", "/api/v1/sessions/me")) == 2
