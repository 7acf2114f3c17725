"""Refresh-ahead (issue 14.1, behaviour 16), stepped by hand: no I/O, no threads.

An entry in the last ``refresh_ahead * cache_ttl`` of its freshness is served at once
and one background revalidation is started (the ``Stepper`` keeps it until the test
runs it: the request has had its answer by then). As ``test_lookup_flow.py``: canned
answers, a clock the test moves, a cache of dicts.
"""

from __future__ import annotations

from typing import Any

import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.logout import logout
from okta_session_mw.engine.lookup import HitRules, answer_without_io, resolve
from okta_session_mw.engine.policy import negative_entry, positive_entry
from okta_session_mw.engine.refresh_backoff import REFRESH_RETRY_PAUSE, RefreshBackoff
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.errors import ConfigError
from tests.support.flow_steps import DictCache, OktaCall, Stepper, canned, live_session, rules_at

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(  # refresh_ahead 0.2 (the default): the last 12 s of 60
    org_url="https://example.okta.com", cache_ttl=60, stale_if_error=120, refresh_threshold=300
)
KEY, COOKIE, SID = "k" * 64, "sid=s1", "s1"
LATER = NOW + 7200  # an expiresAt far from any refresh
AHEAD = "ahead:" + KEY


def cached(asked: float, expires: float = LATER) -> CacheEntry:
    return positive_entry(live_session(expires), asked, CONFIG)


def looked_up(expires: float = LATER) -> Any:
    def okta(call: OktaCall) -> Any:
        assert call == OktaCall("get_current_session", COOKIE)
        return live_session(expires)

    return okta


def test_i14_01_an_entry_in_its_window_is_served_at_once_and_revalidated_behind() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: cached(NOW - 47)})  # fresh for 13 s more: not yet in the window
    stepper = Stepper(cache, looked_up())
    assert stepper.run(resolve(KEY, COOKIE, rules)) == cached(NOW).hit
    assert stepper.background == {}
    now[0] = NOW + 1  # 12 s left: the window
    first = stepper.run(resolve(KEY, COOKIE, rules))
    assert first == Resolution(live_session(LATER), Source.HIT)
    assert stepper.calls == []  # the request did not wait on Okta
    assert list(stepper.background) == [AHEAD]
    stepper.run(resolve(KEY, COOKIE, rules))  # one revalidation per session at a time
    assert list(stepper.background) == [AHEAD]
    assert stepper.run_background() == [AHEAD]
    assert stepper.calls == ["get_current_session"]
    assert stepper.claimed == ["claim"]
    entry = cache.entries[KEY]
    assert (entry.fetched_at, entry.fresh_until) == (NOW + 1, NOW + 61)  # a new cache_ttl
    now[0] = NOW + 30  # past the old freshness: still a hit, no call
    assert stepper.run(resolve(KEY, COOKIE, rules)).source is Source.HIT
    assert (stepper.calls, stepper.background) == (["get_current_session"], {})


def test_i14_02_a_negative_entry_is_never_revalidated_ahead() -> None:
    cache = DictCache({KEY: negative_entry(NOW - 9, CONFIG)})  # 1 s of 10 left
    stepper = Stepper(cache, looked_up())
    rules = rules_at([NOW], CONFIG)
    assert stepper.run(resolve(KEY, COOKIE, rules)) == Resolution(None, Source.NEGATIVE_HIT)
    assert (stepper.calls, stepper.background) == ([], {})


def test_i14_03_a_revalidation_due_for_the_refresh_refreshes_in_the_background() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: cached(NOW - 10, expires=NOW + 200)})  # due: ends within 300 s

    def okta(call: OktaCall) -> Any:
        assert call == OktaCall("refresh_current_session", COOKIE)
        return live_session(NOW + 3600)

    stepper = Stepper(cache, okta)
    served = stepper.run(resolve(KEY, COOKIE, rules))
    assert served == Resolution(live_session(NOW + 200), Source.HIT)  # at once
    assert stepper.calls == []
    again = stepper.run(resolve(KEY, COOKIE, rules))  # while it runs: no refresh of its own
    assert (again, stepper.calls, list(stepper.background)) == (served, [], [AHEAD])
    stepper.run_background()
    assert stepper.calls == ["refresh_current_session"]
    assert stepper.claimed == ["claim", "claim"]  # its expiresAt's refresh, the cookie
    assert cache.entries[KEY].session == live_session(NOW + 3600)
    assert stepper.run(resolve(KEY, COOKIE, rules)).session == live_session(NOW + 3600)
    assert stepper.background == {}


def test_i14_04_a_revalidation_that_finds_the_session_gone_ends_it_like_a_logout() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: cached(NOW - 50), "idx-key": cached(NOW - 5)})  # sid and idx
    stepper = Stepper(cache, lambda call: canned(404))
    assert stepper.run(resolve(KEY, COOKIE, rules)).session == live_session(LATER)
    stepper.run_background()
    assert stepper.calls == ["get_current_session"]
    assert SID in cache.ended_ids  # the session's end is marked, as a logout's
    assert "idx-key" not in cache.entries  # its other cookie goes too
    assert cache.entries[KEY] == negative_entry(NOW, CONFIG)
    assert stepper.run(resolve(KEY, COOKIE, rules)) == Resolution(None, Source.NEGATIVE_HIT)


def test_i14_05_a_failed_revalidation_gives_its_claim_back_and_backs_off() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    entry = cached(NOW - 50)
    cache = DictCache({KEY: entry})
    stepper = Stepper(cache, lambda call: canned(503))
    assert stepper.run(resolve(KEY, COOKIE, rules)) == entry.hit
    stepper.run_background()
    assert stepper.claimed == ["claim", "release"]
    assert cache.entries == {KEY: entry}  # unchanged: it serves out its freshness
    now[0] = NOW + 5
    assert stepper.run(resolve(KEY, COOKIE, rules)) == entry.hit
    assert stepper.background == {}  # not asked again on every request
    assert answer_without_io(entry, now[0], rules, KEY) == entry.hit  # a plain hit again
    now[0] = NOW + 10.5  # past its freshness: the miss path, which asks Okta itself
    stepper.okta = looked_up()
    assert stepper.run(resolve(KEY, COOKIE, rules)).source is Source.MISS
    entry = cache.entries[KEY]
    now[0] = entry.fresh_until - 1  # the next window, the back-off over by then
    assert now[0] > NOW + REFRESH_RETRY_PAUSE
    stepper.run(resolve(KEY, COOKIE, rules))
    assert stepper.run_background() == [AHEAD]


def test_i14_06_a_closed_rate_limit_bucket_skips_the_revalidation() -> None:
    now = [NOW]
    gate = RateLimitGate()
    rules = rules_at(now, CONFIG, gate)
    entry = cached(NOW - 50)
    cache = DictCache({KEY: entry})
    stepper = Stepper(cache, looked_up())
    gate.close_for("get_current_session", 30, NOW)  # a 429 on lookups
    assert answer_without_io(entry, NOW, rules, KEY) == entry.hit  # no flow at all
    assert stepper.run(resolve(KEY, COOKIE, rules)) == entry.hit
    assert (stepper.calls, stepper.background) == ([], {})


@pytest.mark.parametrize("other", [Claimed.ASKING, "answered, then asking"])
def test_i14_07_a_revalidation_another_worker_is_asking_for_is_dropped_not_awaited(
    other: object,
) -> None:
    rules = rules_at([NOW], CONFIG)
    entry = cached(NOW - 50)
    cache = DictCache({KEY: entry})
    claims = [Claimed.ASKING] if other is Claimed.ASKING else [Claimed.ANSWERED, Claimed.ASKING]
    stepper = Stepper(cache, looked_up(), claims=claims)
    assert stepper.run(resolve(KEY, COOKIE, rules)) == entry.hit
    stepper.run_background()
    assert stepper.calls == []
    assert "await" not in stepper.claimed  # never waits for the other worker
    assert cache.entries == {KEY: entry}
    assert rules.gate.figures("get_current_session") is None or (
        rules.gate.figures("get_current_session").in_flight == 0  # type: ignore[union-attr]
    )


def test_i14_08_an_end_seen_during_the_revalidation_wins() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: cached(NOW - 50)})
    stepper = Stepper(cache, looked_up())
    assert stepper.run(resolve(KEY, COOKIE, rules)).session is not None

    def logged_out_meanwhile(call: OktaCall) -> Any:
        if call.operation == "close_current_session":
            return None
        stepper.okta = lambda close: None
        assert stepper.run(logout(KEY, COOKIE, rules, SID)) is True  # while Okta answers
        return live_session(LATER)

    stepper.okta = logged_out_meanwhile
    stepper.run_background()
    assert KEY not in cache.entries  # the revalidation's answer does not bring it back
    stepper.okta = lambda call: canned(404)
    assert stepper.run(resolve(KEY, COOKIE, rules)).session is None


def test_i14_09_refresh_ahead_zero_is_off_and_the_setting_is_checked() -> None:
    config = OktaSessionConfig(org_url="https://example.okta.com", refresh_ahead=0)
    entry = positive_entry(live_session(LATER), NOW - 59, config)  # 1 s of freshness left
    stepper = Stepper(DictCache({KEY: entry}), looked_up())
    assert stepper.run(resolve(KEY, COOKIE, rules_at([NOW], config))) == entry.hit
    assert (stepper.calls, stepper.background) == ([], {})
    for bad in (1, 1.5, -0.1, "0.2"):
        with pytest.raises(ConfigError, match="refresh_ahead"):
            OktaSessionConfig(org_url="https://example.okta.com", refresh_ahead=bad)  # type: ignore[arg-type]
    env = OktaSessionConfig.from_env(
        {"OKTA_ORG_URL": "https://x.okta.com", "OKTA_REFRESH_AHEAD": "0.5"}
    )
    assert env.refresh_ahead == 0.5
    assert OktaSessionConfig(org_url="https://example.okta.com").refresh_ahead == 0.2


def test_i14_10_the_hit_path_answers_outside_the_window_and_hands_over_inside() -> None:
    hit_rules = HitRules.of(CONFIG, RateLimitGate(), RefreshBackoff())
    assert hit_rules.ahead == 12.0
    entry = cached(NOW)  # fresh until NOW + 60
    assert answer_without_io(entry, NOW + 47.9, hit_rules, KEY) == entry.hit
    assert answer_without_io(entry, NOW + 48, hit_rules, KEY) is None  # resolve serves it
    assert answer_without_io(entry, NOW + 60, hit_rules, KEY) is None  # expired
    ending = positive_entry(
        live_session(NOW + 30),
        NOW,
        OktaSessionConfig(org_url="https://x.okta.com", refresh_threshold=0),
    )  # its freshness ends at its expiresAt: asking again would not extend it
    rules = HitRules.of(
        OktaSessionConfig(org_url="https://x.okta.com", refresh_threshold=0),
        RateLimitGate(),
        RefreshBackoff(),
    )
    assert answer_without_io(ending, NOW + 25, rules, KEY) == ending.hit
