"""The lookup flow's refresh, its 429 gate and its start-up probe, stepped by hand.

As ``test_lookup_flow.py``: canned answers (with Okta's ``X-Rate-Limit-*`` figures,
which the gate learns as the service's does), a clock the test moves, no I/O.
"""

from __future__ import annotations

from typing import Any

import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.engine.limits import Spender
from okta_session_mw.engine.logout import logout
from okta_session_mw.engine.lookup import resolve
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.engine.refresh_backoff import REFRESH_RETRY_PAUSE
from okta_session_mw.engine.resolution import Resolution, Source
from tests.support.flow_interleave import Interleaving
from tests.support.flow_steps import DictCache, OktaCall, Stepper, canned, live_session, rules_at

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(
    org_url="https://example.okta.com",
    cache_ttl=60,
    stale_if_error=120,
    refresh_threshold=300,
    refresh_ahead=0,  # the request's own refresh (refresh-ahead: test_refresh_ahead_flow.py)
)
KEY, COOKIE, SID = "k" * 64, "sid=s1", "s1"
LATER = NOW + 7200


def due_entry(asked: float = NOW - 10) -> CacheEntry:
    """A session ending within the refresh threshold (300 s), never refreshed yet."""
    return positive_entry(live_session(NOW + 200), asked, CONFIG)


def refreshing_to(expires_at: float) -> Any:
    def okta(call: OktaCall) -> Any:
        assert call == OktaCall("refresh_current_session", COOKIE)
        return live_session(expires_at)

    return okta


def test_i11_05_a_fresh_entry_due_for_refresh_is_refreshed_once() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: due_entry()})
    stepper = Stepper(cache, refreshing_to(NOW + 3600))
    resolution = stepper.run(resolve(KEY, COOKIE, rules))
    assert resolution == Resolution(live_session(NOW + 3600), Source.HIT)
    entry = cache.entries[KEY]
    assert entry.session == live_session(NOW + 3600)
    assert entry.refresh_after == NOW + 1800  # the next one after half the new lifetime
    assert stepper.calls == ["refresh_current_session"]
    now[0] += 1
    assert stepper.run(resolve(KEY, COOKIE, rules)).source is Source.HIT
    assert stepper.calls == ["refresh_current_session"]


def test_i11_05_a_stale_entry_due_for_refresh_is_looked_up_by_the_refresh_alone() -> None:
    cache = DictCache({KEY: due_entry(asked=NOW - 70)})  # past its TTL, ends in 200 s
    stepper = Stepper(cache, refreshing_to(NOW + 3600))
    resolution = stepper.run(resolve(KEY, COOKIE, rules_at([NOW], CONFIG)))
    assert resolution == Resolution(live_session(NOW + 3600), Source.MISS)
    assert cache.entries[KEY].session == live_session(NOW + 3600)
    assert stepper.calls == ["refresh_current_session"]  # one call did both


def test_i11_05_a_refresh_another_request_is_running_is_not_made_again() -> None:
    cache = DictCache({KEY: due_entry()})
    stepper = Stepper(cache, refreshing_to(NOW + 3600))
    stepper.running["refresh:" + KEY] = None  # unless_running: None at once
    resolution = stepper.run(resolve(KEY, COOKIE, rules_at([NOW], CONFIG)))
    assert resolution == Resolution(due_entry().session, Source.HIT)
    assert cache.entries == {KEY: due_entry()}
    assert stepper.calls == []


def test_i11_05_a_failed_refresh_is_tried_again_only_after_the_back_off() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: due_entry()})
    stepper = Stepper(cache, lambda call: canned(503))
    assert stepper.run(resolve(KEY, COOKIE, rules)) == Resolution(due_entry().session, Source.HIT)
    assert cache.entries == {KEY: due_entry()}  # not marked tried: it was not answered
    assert stepper.calls == ["refresh_current_session"]
    stepper.okta = refreshing_to(NOW + 3600)
    now[0] = NOW + REFRESH_RETRY_PAUSE - 1
    assert stepper.run(resolve(KEY, COOKIE, rules)).session == due_entry().session
    assert stepper.calls == ["refresh_current_session"]  # backing off
    now[0] = NOW + REFRESH_RETRY_PAUSE
    assert stepper.run(resolve(KEY, COOKIE, rules)).session == live_session(NOW + 3600)
    assert stepper.calls == ["refresh_current_session"] * 2
    assert cache.entries[KEY].session == live_session(NOW + 3600)


def test_i11_05_okta_capping_the_session_marks_its_expiry_tried_for_good() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: due_entry()})
    stepper = Stepper(cache, refreshing_to(NOW + 200))  # the same expiresAt: capped
    assert stepper.run(resolve(KEY, COOKIE, rules)).session == live_session(NOW + 200)
    assert cache.entries[KEY].refreshed_for == NOW + 200
    stepper.okta = lambda call: live_session(NOW + 200)
    now[0] = NOW + 150  # past the TTL and past half the lifetime the refresh gave
    assert stepper.run(resolve(KEY, COOKIE, rules)).source is Source.MISS
    assert stepper.calls == ["refresh_current_session", "get_current_session"]  # no refresh
    assert cache.entries[KEY].refreshed_for == NOW + 200


FIGURES_429 = {"spent window": {"limit": 100, "remaining": 0}, "Reset alone": {}}
"""A 429's figures: Okta's (the window spent), or Reset alone: the 429 itself closes
the bucket then, not figures saying nothing is left."""


def rate_limited(figures: dict[str, int]) -> Any:
    """Okta's 429 on lookups: its window turns in 30 s on Okta's clock (whose ``Date``
    is 5 s behind ours: the wait is measured on Okta's clock)."""

    def okta(call: OktaCall) -> Any:
        if call.operation == "close_current_session":
            return None
        return canned(429, reset=NOW + 25, date=NOW - 5, **figures)

    return okta


@pytest.mark.parametrize("figures", sorted(FIGURES_429))
def test_i11_05_a_429_closes_the_lookup_bucket_until_reset_but_not_the_logouts(
    figures: str,
) -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    stale = positive_entry(live_session(LATER, "s2"), NOW - 90, CONFIG)
    cache = DictCache({"stale": stale})
    stepper = Stepper(cache, rate_limited(FIGURES_429[figures]))
    assert stepper.run(resolve(KEY, COOKIE, rules)) == Resolution(None, Source.UNAVAILABLE)
    assert stepper.calls == ["get_current_session"]
    assert cache.entries == {"stale": stale}
    stepper.okta = lambda call: live_session(LATER, "s3")
    for moment in (NOW + 1, NOW + 30):  # closed for Reset - Date + 1 = 31 s
        now[0] = moment
        assert stepper.run(resolve("new", "sid=s3", rules)) == Resolution(None, Source.UNAVAILABLE)
        served = stepper.run(resolve("stale", "sid=s2", rules))
        assert served == Resolution(stale.session, Source.STALE)
    assert stepper.calls == ["get_current_session"]  # nothing asked while closed
    assert cache.entries == {"stale": stale}
    stepper.okta = rate_limited(FIGURES_429[figures])
    assert stepper.run(logout("stale", "sid=s2", rules)) is True  # its own bucket
    assert stepper.calls == ["get_current_session", "close_current_session"]
    assert cache.entries == {}
    stepper.okta = lambda call: live_session(LATER, "s3")
    now[0] = NOW + 31
    assert stepper.run(resolve("new", "sid=s3", rules)).source is Source.MISS
    assert stepper.calls[-1] == "get_current_session"
    assert cache.entries["new"].session == live_session(LATER, "s3")


def test_i11_05_a_429_on_a_refresh_closes_only_the_refresh_bucket() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: due_entry()})
    stepper = Stepper(cache, lambda call: canned(429, remaining=0, reset=NOW + 60, date=NOW))
    assert stepper.run(resolve(KEY, COOKIE, rules)).session == due_entry().session
    assert not rules.gate.open("refresh_current_session", Spender.KNOWN, NOW + 60)
    assert rules.gate.open("get_current_session", Spender.KNOWN, NOW)
    now[0] = NOW + REFRESH_RETRY_PAUSE + 1  # the back-off is over, the bucket still closed
    assert stepper.run(resolve(KEY, COOKIE, rules)).session == due_entry().session
    assert stepper.calls == ["refresh_current_session"]


@pytest.mark.parametrize("first", ["live", "no session"])
def test_i11_05_a_burst_of_new_cookies_sends_one_call_until_the_figures_are_known(
    first: str,
) -> None:
    rules = rules_at([NOW], CONFIG)
    knew: list[bool] = []

    def okta(call: OktaCall) -> Any:
        knew.append(rules.gate.known("get_current_session"))
        remaining = 99 - len(knew)
        if first == "no session" and len(knew) == 1:
            return canned(404, limit=100, remaining=remaining, reset=NOW + 60, date=NOW)
        body = live_session(LATER, call.argument.removeprefix("sid="))
        return canned(200, body, limit=100, remaining=remaining, reset=NOW + 60, date=NOW)

    cache = DictCache()
    stepper = Stepper(cache, okta)
    burst = Interleaving(stepper, latency=lambda call: 5)
    names = ["a", "b", "c", "d"]
    for name in names:
        burst.start(name, resolve("key-" + name, "sid=" + name, rules))
    outcomes = burst.run()
    assert knew == [False, True, True, True]  # the first answer told the budget
    assert {f"{name} joins probe:GET /api/v1/sessions/me" for name in "bcd"} <= set(burst.events)
    assert burst.events.index("a answered get_current_session") < burst.events.index(
        "b sends get_current_session"
    )
    assert stepper.calls == ["get_current_session"] * 4  # each real cookie asked, none refused
    live = names[1:] if first == "no session" else names
    assert {name for name in names if outcomes[name].session is not None} == set(live)
    assert all(outcomes[name].source is Source.MISS for name in names)
    assert {key for key, entry in cache.entries.items() if entry.session} == {
        "key-" + name for name in live
    }
