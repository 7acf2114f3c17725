"""An end by user racing a lookup (issue 13, item 2; behaviour 13), stepped by hand: the
lookup asked Okta before the end, Okta's answer ("live") comes after the end returned:
neither served nor stored; a sign-in after the end is served as usual."""

from __future__ import annotations

from okta_session_mw import OktaSessionConfig
from okta_session_mw.engine.effects import cache_evict_user
from okta_session_mw.engine.lookup import resolve
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.engine.resolution import Resolution, Source
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
LATER = NOW + 7200
USER = "00uRacingUser"


def test_i13_02_an_end_by_user_while_a_lookup_is_in_flight_wins_over_its_answer() -> None:
    now = [NOW]
    cache = DictCache(clock=lambda: now[0])
    rules = rules_at(now, CONFIG)

    def okta_ends_the_user_meanwhile(call: OktaCall) -> object:
        now[0] += 1
        stepper.run(cache_evict_user(USER))  # the event hook's eviction returns first
        now[0] += 1
        return live_session(LATER, "s1", USER)

    stepper = Stepper(cache, okta_ends_the_user_meanwhile)
    assert stepper.run(resolve("a" * 64, "sid=s1", rules)) == Resolution(None, Source.MISS)
    assert cache.entries == {}
    # the user signs in again, after the end: asked after it, so served and stored
    stepper.okta = lambda call: live_session(LATER, "s2", USER)
    served = stepper.run(resolve("b" * 64, "sid=s2", rules))
    assert served.session is not None and served.session.id == "s2"
    assert set(cache.entries) == {"b" * 64}


def test_i13_02_a_stale_entry_of_an_ended_user_is_not_served_while_okta_fails() -> None:
    """Okta down: the entry an end by user evicted cannot come back as stale, and a stale
    entry put back by a writer that asked before the end is refused too."""
    now = [NOW]
    cache = DictCache(clock=lambda: now[0])
    stale = positive_entry(live_session(LATER, "s1", USER), NOW - 90, CONFIG)
    cache.entries["a" * 64] = stale
    Stepper(cache, lambda call: None).run(cache_evict_user(USER))
    cache.set("a" * 64, stale)  # a slow writer puts back what it read before the end
    assert cache.entries == {}

    okta_down = Stepper(cache, lambda call: canned(503))
    served = okta_down.run(resolve("a" * 64, "sid=s1", rules_at(now, CONFIG)))
    assert served == Resolution(None, Source.UNAVAILABLE)
    assert okta_down.calls == ["get_current_session"]
