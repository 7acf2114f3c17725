"""Decisions of the engine's flows, stepped by hand (``tests/support/flow_steps.py``): no I/O."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from okta_session_mw import OktaSessionConfig, Session
from okta_session_mw.cache.entry import Claimed
from okta_session_mw.engine.limits import Spender
from okta_session_mw.engine.logout import logout, revoke
from okta_session_mw.engine.lookup import resolve
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.engine.resolution import Source
from okta_session_mw.errors import (
    OktaNotFoundError,
    OktaRateLimitError,
    OktaServerError,
    OktaSessionError,
)
from tests.support.flow_steps import DictCache, OktaCall, Stepper, rules_at

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(
    org_url="https://example.okta.com",
    cache_ttl=60,
    stale_if_error=120,
    refresh_threshold=300,
    refresh_ahead=0,  # the request's own refresh (refresh-ahead: test_refresh_ahead_flow.py)
)
KEY, COOKIE, SID = "k" * 64, "sid=s1", "s1"


def session(expires_at: float, session_id: str = SID) -> Session:
    expires = datetime.fromtimestamp(expires_at, tz=timezone.utc).isoformat()
    return Session.from_okta({"id": session_id, "status": "ACTIVE", "expiresAt": expires})


def stale_cache() -> DictCache:
    """The session cached a while ago: past its TTL, still within stale-if-error."""
    cache = DictCache()
    cache.entries[KEY] = positive_entry(session(NOW + 7200), NOW - 90, CONFIG)
    return cache


ENDINGS = {
    "logout": lambda rules: logout(KEY, COOKIE, rules),
    "revoke": lambda rules: revoke(SID, rules),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
@pytest.mark.parametrize("failure", [OktaServerError(503), OktaRateLimitError(429)])
def test_i10_03_a_lookup_failing_after_the_session_ended_serves_no_stale_session(
    ending: str, failure: OktaSessionError
) -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = stale_cache()

    def okta(call: OktaCall) -> Any:
        if call.operation in ("get_current_session", "refresh_current_session"):
            # while this lookup waits for Okta, the session ends through the library ...
            assert stepper.run(ENDINGS[ending](rules)) is True
            raise failure  # ... then Okta fails: stale-if-error would serve the session
        return None

    stepper = Stepper(cache, okta)
    resolution = stepper.run(resolve(KEY, COOKIE, rules))
    assert resolution.session is None
    assert not resolution.unavailable  # ended: "no session", not "Okta is down"
    assert KEY not in cache.entries


def test_i10_03_a_session_okta_says_is_live_is_not_served_after_its_revoke() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = stale_cache()

    def okta(call: OktaCall) -> Any:
        if call.operation == "get_current_session":
            assert stepper.run(revoke(SID, rules)) is True
            return session(NOW + 7200)  # Okta's answer was on its way before the revoke
        return None

    stepper = Stepper(cache, okta)
    assert stepper.run(resolve(KEY, COOKIE, rules)).session is None
    assert KEY not in cache.entries  # and not stored either


def test_i10_09_a_request_joining_a_lookup_begun_before_logout_gets_no_session() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache()
    logged_out: list[bool] = []

    def okta(call: OktaCall) -> Any:
        if call.operation == "get_current_session":
            # the sid cookie's value, as the service passes it (COOKIE is sid=s1)
            logged_out.append(stepper.run(logout(KEY, COOKIE, rules, SID)))
            return session(NOW + 7200)  # answered before the logout reached Okta
        if call.operation == "close_current_session":
            return None
        raise OktaNotFoundError(404)

    stepper = Stepper(cache, okta)
    first = stepper.run(resolve(KEY, COOKIE, rules))
    assert logged_out == [True]
    # A request that starts now, after logout returned, joins the flight still running.
    joined = stepper.run(resolve(KEY, COOKIE, rules), join=True)
    assert stepper.calls == ["get_current_session", "close_current_session"]  # it joined
    assert (first.session, joined.session) == (None, None)
    assert joined.source is Source.MISS


def test_a_lookup_of_a_live_session_is_served_when_nothing_ended() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    stepper = Stepper(stale_cache(), lambda call: session(NOW + 7200))
    resolution = stepper.run(resolve(KEY, COOKIE, rules))
    assert resolution.session is not None and resolution.source is Source.MISS
    stepper.okta = lambda call: (_ for _ in ()).throw(OktaServerError(503))
    now[0] += 61  # past the TTL: Okta fails, the entry is served stale
    assert stepper.run(resolve(KEY, COOKIE, rules)).source is Source.STALE


def test_i10_18_a_refresh_answer_already_past_its_expiry_is_not_served() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache()
    cache.entries[KEY] = positive_entry(session(NOW + 200), NOW - 10, CONFIG)  # fresh, due
    # Okta's clock is behind ours: the refreshed session ends before our "now".
    stepper = Stepper(cache, lambda call: session(NOW - 1))
    resolution = stepper.run(resolve(KEY, COOKIE, rules))
    assert stepper.calls == ["refresh_current_session"]
    assert resolution.session is None
    assert cache.entries[KEY].session is None  # remembered as "no session"


def test_i10_18_one_refresh_per_interval_when_the_idle_lifetime_is_within_the_threshold() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)  # refresh_threshold 300 s
    idle = 120.0  # Okta's idle lifetime: every refresh answers now + 120 s

    def okta(call: OktaCall) -> Any:
        now[0] += 0.01  # a call takes a little time
        return session(now[0] + idle)

    stepper = Stepper(DictCache(), okta)
    for _ in range(20):
        assert stepper.run(resolve(KEY, COOKIE, rules)).session is not None
        now[0] += 1
    assert stepper.calls.count("refresh_current_session") == 1
    for _ in range(100):  # 100 s more of requests: the session must be kept alive
        assert stepper.run(resolve(KEY, COOKIE, rules)).session is not None
        now[0] += 1
    assert 1 < stepper.calls.count("refresh_current_session") <= 3


@pytest.mark.parametrize(
    ("claims", "steps", "source"),
    [
        # an answer was stored, but cannot be used (gone, unreadable): take over, ask
        ([Claimed.ANSWERED, Claimed.YOURS], ["claim", "take over"], Source.MISS),
        # another worker asks, then stores nothing usable: ask as soon as that is known
        ([Claimed.ASKING, Claimed.ANSWERED], ["claim", "await", "take over"], Source.MISS),
        ([Claimed.ASKING, Claimed.YOURS], ["claim", "await"], Source.MISS),
        # another worker took over first, and its answer cannot be used either: give up
        (
            [Claimed.ANSWERED, Claimed.ASKING, Claimed.ANSWERED],
            ["claim", "take over", "await"],
            Source.UNAVAILABLE,
        ),
        # another worker asks for the whole timeout: do not ask Okta a second time
        ([Claimed.ASKING, Claimed.ASKING], ["claim", "await"], Source.UNAVAILABLE),
    ],
)
def test_a_follower_asks_okta_itself_once_nobody_else_will(
    claims: list[Claimed], steps: list[str], source: Source
) -> None:
    stepper = Stepper(DictCache(), lambda call: session(NOW + 7200), claims=claims)
    resolution = stepper.run(resolve(KEY, COOKIE, rules_at([NOW], CONFIG)))
    assert resolution.source is source
    assert stepper.claimed == steps
    assert stepper.calls == (["get_current_session"] if source is Source.MISS else [])


# -- the gate's accounting on every path (review of the merged fixes) ---------------------


def test_i10_02_a_refresh_closed_at_its_cache_write_leaves_nothing_in_flight() -> None:
    from okta_session_mw.engine.lookup import _refresh

    now = [NOW]
    rules = rules_at(now, CONFIG)
    entry = positive_entry(session(NOW + 100), NOW, CONFIG)  # due: ends within 300 s
    flow = _refresh(KEY, COOKIE, rules)
    flow.send(None)  # CacheGet
    flow.send(entry)  # due: now the refresh's claim (once per expiresAt, cluster-wide)
    flow.send(Claimed.YOURS)  # the gate admitted the call; now the "tried" mark is written
    flow.close()  # the request went away (or the cache raised) right there
    figures = rules.gate.figures("refresh_current_session")
    assert figures is not None and figures.in_flight == 0


def test_i10_02_a_proxys_429_without_figures_keeps_the_start_up_probe() -> None:
    """A 429 with no X-Rate-Limit headers (a proxy's) says nothing of Okta's budget: the
    bucket must not be taken for one that never reports figures (no more probing)."""
    now = [NOW]
    rules = rules_at(now, CONFIG)

    def okta(call: OktaCall) -> Any:
        raise OktaRateLimitError(429)

    Stepper(DictCache(), okta).run(resolve(KEY, COOKIE, rules))
    assert not rules.gate.known("get_current_session")


def test_i10_02_a_claim_taken_over_after_a_429_makes_no_call() -> None:
    now = [NOW]
    rules = rules_at(now, CONFIG)
    gate = rules.gate
    assert gate.take("get_current_session", Spender.KNOWN, NOW)
    gate.done("get_current_session")  # given back: another worker had the claim
    gate.close_for("get_current_session", 30, NOW)  # meanwhile, a 429
    assert gate.resume("get_current_session", NOW) is False
    assert gate.resume("get_current_session", NOW + 60) is True


def test_i10_18_a_refresh_of_a_cookie_that_cannot_be_sent_is_no_session() -> None:
    """As on the lookup path: no back-off and stale entry kept for a cookie Okta can never
    be asked about, but "no session"."""
    from okta_session_mw.engine.lookup import _refresh
    from okta_session_mw.errors import InvalidRequestError

    now = [NOW]
    rules = rules_at(now, CONFIG)
    cache = DictCache()
    cache.entries[KEY] = positive_entry(session(NOW + 100), NOW, CONFIG)

    def okta(call: OktaCall) -> Any:
        raise InvalidRequestError("cookie cannot be sent")

    refreshed = Stepper(cache, okta).run(_refresh(KEY, COOKIE, rules))
    assert refreshed is not None and refreshed.session is None
    assert cache.entries[KEY].session is None
