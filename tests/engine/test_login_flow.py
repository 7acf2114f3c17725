"""The sign-in flow (``engine/login.py``: CreateSession) stepped by hand: no I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.login import login
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.errors import OktaRateLimitError, OktaServerError, SignInThrottledError
from okta_session_mw.errors import RateLimit as Figures
from tests.support.flow_interleave import Interleaving
from tests.support.flow_steps import DictCache, OktaCall, Stepper, canned, live_session, rules_at

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(org_url="https://example.okta.com", cache_ttl=60)
LATER = NOW + 7200
TOKEN = "a-one-time-session-token"


def key_for(session_id: str) -> str:
    """The cache key of the ``sid`` cookie CreateSession's session id makes."""
    return "key-" + session_id


def creating(session_id: str = "s9") -> Callable[[OktaCall], Any]:
    def okta(call: OktaCall) -> Any:
        assert call == OktaCall("create_session", f'{{"sessionToken":"{TOKEN}"}}')
        return live_session(LATER, session_id)

    return okta


def test_i11_05_a_sign_in_primes_the_cache_for_its_sid_cookie() -> None:
    cache = DictCache()
    stepper = Stepper(cache, creating())
    session = stepper.run(login(TOKEN, key_for, rules_at([NOW], CONFIG)))
    assert session == live_session(LATER, "s9")
    assert cache.entries == {"key-s9": positive_entry(session, NOW, CONFIG)}
    assert stepper.calls == ["create_session"]


def per_address(gate: RateLimitGate) -> None:
    """One sign-in a minute from an address: it has just signed in once."""
    gate.sign_ins.per_minute = 1
    assert gate.sign_ins.take("203.0.113.7", NOW)


def reserve(gate: RateLimitGate) -> None:
    """10 calls of 100 left: a sign-in may spend only the smaller half of the 20 kept."""
    gate.reserve_fraction = 0.2
    gate.observe("create_session", Figures(100, 10, int(NOW) + 30), NOW)


def closed(gate: RateLimitGate) -> None:
    gate.close_for("create_session", 30, NOW)


THROTTLES = {"per address": per_address, "reserve": reserve, "429": closed}


@pytest.mark.parametrize("throttle", sorted(THROTTLES))
def test_i11_05_a_throttled_sign_in_raises_before_any_call(throttle: str) -> None:
    rules = rules_at([NOW], CONFIG)
    THROTTLES[throttle](rules.gate)
    cache = DictCache()
    stepper = Stepper(cache, creating())
    with pytest.raises(SignInThrottledError):
        stepper.run(login(TOKEN, key_for, rules, "203.0.113.7"))
    assert cache.entries == {}
    assert stepper.calls == []
    if throttle == "per address":  # another address still signs in
        assert stepper.run(login(TOKEN, key_for, rules, "198.51.100.1")).id == "s9"
        assert stepper.calls == ["create_session"]


def test_i11_05_a_429_on_a_sign_in_raises_and_throttles_sign_ins_until_reset() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache()
    stepper = Stepper(cache, lambda call: canned(429, reset=NOW + 25, date=NOW - 5))
    with pytest.raises(OktaRateLimitError):
        stepper.run(login(TOKEN, key_for, rules))
    stepper.okta = creating()
    now[0] = NOW + 30
    with pytest.raises(SignInThrottledError):
        stepper.run(login(TOKEN, key_for, rules))
    assert stepper.calls == ["create_session"]
    assert cache.entries == {}
    now[0] = NOW + 31  # Reset - Date + 1 on Okta's clock
    assert stepper.run(login(TOKEN, key_for, rules)).id == "s9"
    assert stepper.calls == ["create_session"] * 2
    assert list(cache.entries) == ["key-s9"]


def test_i11_05_okta_failing_a_sign_in_raises_and_throttles_nothing() -> None:
    rules = rules_at([NOW], CONFIG)
    cache = DictCache()
    stepper = Stepper(cache, lambda call: canned(503))
    with pytest.raises(OktaServerError):
        stepper.run(login(TOKEN, key_for, rules))
    assert cache.entries == {}
    stepper.okta = creating()
    assert stepper.run(login(TOKEN, key_for, rules)).id == "s9"
    assert stepper.calls == ["create_session"] * 2


def test_i11_05_sign_ins_at_start_up_wait_for_the_first_answer_then_all_go_through() -> None:
    rules = rules_at([NOW], CONFIG)
    knew: list[bool] = []

    def okta(call: OktaCall) -> Any:
        knew.append(rules.gate.known("create_session"))
        body = live_session(LATER, f"s{len(knew)}")
        return canned(200, body, limit=100, remaining=100 - len(knew), reset=NOW + 60, date=NOW)

    cache = DictCache()
    stepper = Stepper(cache, okta)
    burst = Interleaving(stepper, latency=lambda call: 5)
    for name in "abc":
        burst.start(name, login(TOKEN, key_for, rules))
    outcomes = burst.run()
    assert knew == [False, True, True]
    assert {"b joins probe:POST /api/v1/sessions", "c joins probe:POST /api/v1/sessions"} <= set(
        burst.events
    )
    assert sorted(session.id for session in outcomes.values()) == ["s1", "s2", "s3"]
    assert sorted(cache.entries) == ["key-s1", "key-s2", "key-s3"]
    assert stepper.calls == ["create_session"] * 3
