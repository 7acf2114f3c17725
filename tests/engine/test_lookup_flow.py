"""The lookup flow (``engine/lookup.resolve``) stepped by hand: no I/O, no threads.

Each test states the cache, Okta's canned answers and the clock, and checks what the
flow served, what the cache holds after it, and which Okta calls it made. Refresh,
the 429 gate and the start-up probe: ``test_lookup_limits_flow.py``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.engine.logout import logout
from okta_session_mw.engine.lookup import resolve
from okta_session_mw.engine.policy import negative_entry, positive_entry
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.errors import OktaTimeoutError
from tests.support.flow_interleave import Interleaving
from tests.support.flow_steps import (
    DictCache,
    OktaCall,
    Stepper,
    canned,
    live_session,
    rules_at,
)

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(
    org_url="https://example.okta.com", cache_ttl=60, stale_if_error=120, refresh_threshold=300
)
KEY, COOKIE, SID = "k" * 64, "sid=s1", "s1"
LATER = NOW + 7200  # an expiresAt far from any refresh


def no_call(call: OktaCall) -> Any:
    raise AssertionError(f"Okta was asked: {call.operation}")


def stale_entry() -> CacheEntry:
    """Asked 90 s ago: past its TTL (60 s), servable stale for 90 s more."""
    return positive_entry(live_session(LATER), NOW - 90, CONFIG)


@pytest.mark.parametrize(
    ("entry", "source"),
    [
        (positive_entry(live_session(LATER), NOW - 10, CONFIG), Source.HIT),
        (negative_entry(NOW - 5, CONFIG), Source.NEGATIVE_HIT),
    ],
)
def test_i11_05_a_fresh_entry_is_the_answer_without_a_call(
    entry: CacheEntry, source: Source
) -> None:
    cache = DictCache({KEY: entry})
    stepper = Stepper(cache, no_call)
    resolution = stepper.run(resolve(KEY, COOKIE, rules_at([NOW], CONFIG)))
    assert resolution == Resolution(entry.session, source)
    assert cache.entries == {KEY: entry}
    assert stepper.calls == []


def test_i11_05_a_miss_asks_okta_once_and_stores_the_answer_as_of_the_question() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)

    def okta(call: OktaCall) -> Any:
        assert call == OktaCall("get_current_session", COOKIE)
        now[0] += 2  # Okta takes two seconds to answer
        return live_session(LATER)

    cache = DictCache()
    stepper = Stepper(cache, okta)
    resolution = stepper.run(resolve(KEY, COOKIE, rules))
    assert resolution.source is Source.MISS
    assert resolution.session is not None and resolution.session.id == SID
    entry = cache.entries[KEY]
    assert entry.session == resolution.session
    assert entry.fetched_at == NOW  # when asked: an end after that outranks it
    assert (entry.fresh_until, entry.stale_until) == (NOW + 62, NOW + 182)
    assert stepper.calls == ["get_current_session"]
    assert stepper.claimed == ["claim"]
    assert stepper.run(resolve(KEY, COOKIE, rules)).source is Source.HIT
    assert stepper.calls == ["get_current_session"]


@pytest.mark.parametrize(
    ("cookie", "reply", "calls"),
    [
        (COOKIE, canned(404), ["get_current_session"]),
        (COOKIE, canned(401), ["get_current_session"]),
        (COOKIE, canned(403), ["get_current_session"]),
        ("sid=s1\r\nX-Injected: 1", None, []),  # cannot even be sent: no session either
    ],
    ids=["404", "401", "403", "unsendable"],
)
def test_i11_05_okta_saying_no_session_is_remembered_as_a_negative_entry(
    cookie: str, reply: httpx.Response | None, calls: list[str]
) -> None:
    rules = rules_at([NOW], CONFIG)
    cache = DictCache()
    stepper = Stepper(cache, lambda call: reply)
    assert stepper.run(resolve(KEY, cookie, rules)) == Resolution(None, Source.MISS)
    assert cache.entries[KEY] == negative_entry(NOW, CONFIG)
    assert stepper.calls == calls
    again = stepper.run(resolve(KEY, cookie, rules))
    assert again == Resolution(None, Source.NEGATIVE_HIT)
    assert stepper.calls == calls


def test_i11_05_a_second_request_joins_the_first_ones_lookup_and_okta_is_asked_once() -> None:
    cache = DictCache()
    stepper = Stepper(cache, lambda call: live_session(LATER))
    rules = rules_at([NOW], CONFIG)
    together = Interleaving(stepper, latency=lambda call: 5)
    together.start("first", resolve(KEY, COOKIE, rules))
    together.start("second", resolve(KEY, COOKIE, rules))
    outcomes = together.run()
    assert "second joins lookup:" + KEY in together.events
    assert stepper.calls == ["get_current_session"]
    assert outcomes["first"] == outcomes["second"]
    assert outcomes["second"].source is Source.MISS
    assert cache.entries[KEY].session == outcomes["second"].session


@pytest.mark.parametrize(
    ("cached", "expected"),
    [(True, Source.STALE), (False, Source.UNAVAILABLE)],
    ids=["stale entry", "nothing cached"],
)
def test_i11_05_a_follower_that_waited_too_long_for_the_lookup_it_joined_falls_back(
    cached: bool, expected: Source
) -> None:
    cache = DictCache({KEY: stale_entry()} if cached else {})
    before = dict(cache.entries)
    stepper = Stepper(cache, no_call)
    stepper.running["lookup:" + KEY] = OktaTimeoutError("waited too long")
    resolution = stepper.run(resolve(KEY, COOKIE, rules_at([NOW], CONFIG)))
    assert resolution.source is expected
    assert resolution.session == (before[KEY].session if cached else None)
    assert cache.entries == before
    assert stepper.calls == []


def test_i11_05_a_worker_following_another_serves_its_answer_without_a_call() -> None:
    cache = DictCache()
    theirs = positive_entry(live_session(LATER + 60), NOW, CONFIG)  # the other worker's
    stepper = Stepper(cache, no_call, claims=[Claimed.ASKING])

    def the_other_worker_answers() -> None:
        cache.entries[KEY] = theirs

    stepper.meanwhile = the_other_worker_answers
    rules = rules_at([NOW], CONFIG)
    resolution = stepper.run(resolve(KEY, COOKIE, rules))
    assert resolution == Resolution(theirs.session, Source.HIT)
    assert cache.entries == {KEY: theirs}
    assert stepper.calls == []
    assert stepper.claimed == ["claim", "await"]
    figures = rules.gate.figures("get_current_session")
    assert figures is not None and figures.in_flight == 0  # the gate's place given back


def test_i11_05_a_worker_giving_up_on_another_serves_the_stale_entry() -> None:
    cache = DictCache({KEY: stale_entry()})
    stepper = Stepper(cache, no_call, claims=[Claimed.ASKING, Claimed.ASKING])
    resolution = stepper.run(resolve(KEY, COOKIE, rules_at([NOW], CONFIG)))
    assert resolution == Resolution(stale_entry().session, Source.STALE)
    assert cache.entries == {KEY: stale_entry()}
    assert stepper.calls == []
    assert stepper.claimed == ["claim", "await"]


def test_i11_05_a_claim_handed_over_after_a_429_meanwhile_makes_no_call() -> None:
    """Another worker asked (this one gave the gate its place back), then left the
    claim to this one; a 429 closed the bucket meanwhile: Okta is not asked."""
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache({KEY: stale_entry()})
    stepper = Stepper(cache, no_call, claims=[Claimed.ASKING, Claimed.YOURS])

    def a_429_meanwhile() -> None:
        rules.gate.close_for("get_current_session", 30, now[0])

    stepper.meanwhile = a_429_meanwhile
    resolution = stepper.run(resolve(KEY, COOKIE, rules))
    assert resolution == Resolution(stale_entry().session, Source.STALE)
    assert cache.entries == {KEY: stale_entry()}
    assert stepper.calls == []
    assert stepper.claimed == ["claim", "await", "release"]  # not asking: given back


FAILURES = {
    "503": lambda call: canned(503),
    "refused": lambda call: (_ for _ in ()).throw(httpx.ConnectError("refused")),
    "read timeout": lambda call: (_ for _ in ()).throw(httpx.ReadTimeout("slow")),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
@pytest.mark.parametrize(
    ("moment", "expected"),
    [(NOW, Source.STALE), (NOW + 89, Source.STALE), (NOW + 90, Source.UNAVAILABLE)],
    ids=["within", "last second", "past"],
)
def test_i11_05_okta_failing_serves_the_stale_entry_only_within_stale_if_error(
    failure: str, moment: float, expected: Source
) -> None:
    cache = DictCache({KEY: stale_entry()})  # servable stale until NOW + 90
    stepper = Stepper(cache, FAILURES[failure])
    resolution = stepper.run(resolve(KEY, COOKIE, rules_at([moment], CONFIG)))
    assert resolution.source is expected
    assert resolution.session == (stale_entry().session if expected is Source.STALE else None)
    assert cache.entries == {KEY: stale_entry()}  # kept as it was: no negative entry
    assert stepper.calls == ["get_current_session"]


@pytest.mark.parametrize("cached", [True, False], ids=["stale entry", "sid cookie"])
def test_i11_05_a_logout_returning_while_a_lookup_is_in_flight_wins_over_its_answer(
    cached: bool,
) -> None:
    """The lookup asked before the logout; Okta's answer ("live") comes after the
    logout has returned: it is neither served nor stored."""
    cache = DictCache({KEY: stale_entry()} if cached else {})
    rules = rules_at([NOW], CONFIG)
    stepper = Stepper(cache, lambda call: live_session(LATER))
    slow_lookup = Interleaving(
        stepper, latency=lambda call: 20 if call.operation == "get_current_session" else 1
    )
    slow_lookup.start("lookup", resolve(KEY, COOKIE, rules))
    slow_lookup.start("logout", logout(KEY, COOKIE, rules, None if cached else SID), at=3)
    outcomes = slow_lookup.run()
    events = slow_lookup.events
    assert events.index("logout returned") < events.index("lookup answered get_current_session")
    assert outcomes == {"logout": True, "lookup": Resolution(None, Source.MISS)}
    assert cache.entries == {}
    assert stepper.calls == ["get_current_session", "close_current_session"]
