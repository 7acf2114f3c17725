"""The logout and revoke flows (``engine/logout.py``) stepped by hand: no I/O.

Each test checks what the flow returned, what the cache holds after it (entries, and
the "ended" marks that stop a lookup under way from serving the session again), and
which Okta calls it made.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.logout import logout, revoke
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.errors import OktaConnectionError, OktaServerError, OktaSessionError
from okta_session_mw.errors import RateLimit as Figures
from tests.support.flow_steps import DictCache, OktaCall, Stepper, canned, live_session, rules_at

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(org_url="https://example.okta.com", cache_ttl=60)
KEY, COOKIE, SID = "k" * 64, "sid=s1", "s1"
LATER = NOW + 7200


def cached(session_id: str) -> CacheEntry:
    return positive_entry(live_session(LATER, session_id), NOW - 10, CONFIG)


def cache_of(*keys: tuple[str, str]) -> DictCache:
    """Entries by key for the given ``(key, session id)`` pairs."""
    return DictCache({key: cached(session_id) for key, session_id in keys})


def closing(call: OktaCall) -> Any:
    assert call == OktaCall("close_current_session", COOKIE)
    return None


def test_i11_05_logging_out_a_cached_cookie_closes_it_and_evicts_its_session() -> None:
    cache = cache_of((KEY, SID), ("idx", SID), ("other", "s2"))
    stepper = Stepper(cache, closing)
    assert stepper.run(logout(KEY, COOKIE, rules_at([NOW], CONFIG))) is True
    assert cache.entries == {"other": cached("s2")}  # the session's other cookie too
    assert (cache.ended_keys, cache.ended_ids) == ({KEY}, {SID})
    assert stepper.calls == ["close_current_session"]


def test_i11_05_a_sid_cookie_names_the_session_of_an_uncached_cookie() -> None:
    cache = cache_of(("idx", SID))
    stepper = Stepper(cache, closing)
    assert stepper.run(logout(KEY, COOKIE, rules_at([NOW], CONFIG), SID)) is True
    assert cache.entries == {}
    assert (cache.ended_keys, cache.ended_ids) == ({KEY}, {SID})
    assert stepper.calls == ["close_current_session"]  # nothing asked to learn it


def test_i11_05_the_session_of_an_uncached_cookie_is_learned_from_okta() -> None:
    cache = cache_of(("idx", SID), ("other", "s2"))

    def okta(call: OktaCall) -> Any:
        if call.operation == "get_current_session":
            assert call.argument == COOKIE
            return live_session(LATER, SID)
        return closing(call)

    stepper = Stepper(cache, okta)
    assert stepper.run(logout(KEY, COOKIE, rules_at([NOW], CONFIG))) is True
    assert cache.entries == {"other": cached("s2")}
    assert (cache.ended_keys, cache.ended_ids) == ({KEY}, {SID})
    assert stepper.calls == ["get_current_session", "close_current_session"]


@pytest.mark.parametrize("learned", [canned(404), canned(503)], ids=["no session", "503"])
def test_i11_05_a_logout_okta_cannot_name_the_session_of_still_closes_the_cookie(
    learned: httpx.Response,
) -> None:
    cache = cache_of(("idx", SID))
    stepper = Stepper(
        cache, lambda call: learned if call.operation == "get_current_session" else None
    )
    assert stepper.run(logout(KEY, COOKIE, rules_at([NOW], CONFIG))) is True
    assert cache.entries == {"idx": cached(SID)}  # whose it was is unknown
    assert (cache.ended_keys, cache.ended_ids) == ({KEY}, set())
    assert stepper.calls == ["get_current_session", "close_current_session"]


def closed_by_429(gate: RateLimitGate) -> None:
    gate.close_for("close_current_session", 30, NOW)


def reserve_left(gate: RateLimitGate) -> None:
    """10 calls of 100 left: within the reserve (20), closed to never-seen cookies."""
    gate.reserve_fraction = 0.2
    gate.observe("close_current_session", Figures(100, 10, int(NOW) + 30), NOW)


REFUSALS = {"429": closed_by_429, "reserve": reserve_left}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_i11_05_a_logout_the_gate_keeps_from_okta_marks_nothing(refusal: str) -> None:
    """An uncached cookie's logout refused: nothing was closed ("try again"); the
    session lives on at Okta, so nothing is evicted and no end is remembered."""
    rules = rules_at([NOW], CONFIG)
    REFUSALS[refusal](rules.gate)
    cache = cache_of(("idx", SID))
    stepper = Stepper(cache, closing)
    assert stepper.run(logout(KEY, COOKIE, rules, SID)) is False
    assert cache.entries == {"idx": cached(SID)}
    assert (cache.ended_keys, cache.ended_ids) == (set(), set())
    assert stepper.calls == []


def test_i11_05_a_cached_session_refused_by_the_gate_is_still_logged_out_here() -> None:
    rules = rules_at([NOW], CONFIG)
    closed_by_429(rules.gate)
    cache = cache_of((KEY, SID), ("idx", SID))
    stepper = Stepper(cache, closing)
    assert stepper.run(logout(KEY, COOKIE, rules)) is False  # Okta not told: "try again"
    assert cache.entries == {}
    assert (cache.ended_keys, cache.ended_ids) == ({KEY}, {SID})
    assert stepper.calls == []


@pytest.mark.parametrize("is_cached", [True, False], ids=["cached", "sid cookie"])
def test_i11_05_okta_failing_a_logout_says_try_again_and_still_evicts(is_cached: bool) -> None:
    cache = cache_of((KEY, SID), ("idx", SID)) if is_cached else cache_of(("idx", SID))
    stepper = Stepper(cache, lambda call: canned(503))
    rules = rules_at([NOW], CONFIG)
    assert stepper.run(logout(KEY, COOKIE, rules, None if is_cached else SID)) is False
    assert cache.entries == {}
    assert (cache.ended_keys, cache.ended_ids) == ({KEY}, {SID})
    assert stepper.calls == ["close_current_session"]


@pytest.mark.parametrize("status", [404, 401])
def test_i11_05_a_session_okta_no_longer_has_is_already_logged_out(status: int) -> None:
    cache = cache_of((KEY, SID))
    stepper = Stepper(cache, lambda call: canned(status))
    assert stepper.run(logout(KEY, COOKIE, rules_at([NOW], CONFIG))) is True
    assert cache.entries == {}
    assert (cache.ended_keys, cache.ended_ids) == ({KEY}, {SID})
    assert stepper.calls == ["close_current_session"]


def test_i11_05_a_429_on_a_logout_closes_the_logout_bucket_until_reset() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = cache_of((KEY, SID))
    stepper = Stepper(cache, lambda call: canned(429, reset=NOW + 25, date=NOW - 5))
    assert stepper.run(logout(KEY, COOKIE, rules)) is False
    assert cache.entries == {}
    stepper.okta = lambda call: None
    now[0] = NOW + 30
    assert stepper.run(logout("new", "sid=s2", rules, "s2")) is False
    assert stepper.calls == ["close_current_session"]
    assert "s2" not in cache.ended_ids
    now[0] = NOW + 31  # Reset - Date + 1 on Okta's clock
    assert stepper.run(logout("new", "sid=s2", rules, "s2")) is True
    assert stepper.calls == ["close_current_session"] * 2


def revoking(reply: object) -> Any:
    def okta(call: OktaCall) -> Any:
        assert call == OktaCall("revoke_session", SID)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return okta


@pytest.mark.parametrize(("reply", "found"), [(None, True), (canned(404), False)])
def test_i11_05_a_revoke_evicts_the_session_whether_or_not_okta_had_it(
    reply: object, found: bool
) -> None:
    cache = cache_of((KEY, SID), ("idx", SID), ("other", "s2"))
    stepper = Stepper(cache, revoking(reply))
    assert stepper.run(revoke(SID, rules_at([NOW], CONFIG))) is found
    assert cache.entries == {"other": cached("s2")}
    assert (cache.ended_keys, cache.ended_ids) == (set(), {SID})
    assert stepper.calls == ["revoke_session"]


@pytest.mark.parametrize(
    ("reply", "error"),
    [(canned(503), OktaServerError), (httpx.ConnectError("refused"), OktaConnectionError)],
    ids=["503", "refused"],
)
def test_i11_05_a_failed_revoke_raises_and_evicts_nothing(
    reply: object, error: type[OktaSessionError]
) -> None:
    cache = cache_of((KEY, SID), ("idx", SID))
    stepper = Stepper(cache, revoking(reply))
    with pytest.raises(error):
        stepper.run(revoke(SID, rules_at([NOW], CONFIG)))
    assert cache.entries == {KEY: cached(SID), "idx": cached(SID)}  # Okta still has it
    assert (cache.ended_keys, cache.ended_ids) == (set(), set())
    assert stepper.calls == ["revoke_session"]
