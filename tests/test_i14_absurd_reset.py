"""Attack on the rate-limit gate's figures (behaviour 14): one answer with an absurd
``X-Rate-Limit-Reset`` (a proxy's 429 in milliseconds, a glitch, a clock far ahead).

The pause it starts is bounded (``bounded_pause``), but ``update_figures`` keeps its
``reset`` and from then on ignores every answer of an "earlier" window: Okta's real
figures are never taken in again by that process, which only estimates from the last
``limit``. When other clients of the org have spent Okta's window (Okta's budget is the
org's), made-up cookies are then let through past the reserve until Okta answers 429,
and the 429 closes the bucket for known sessions too: the reserve is spent.
(Brought in from the attack review: attack-1, test_attack_80.)
"""

from __future__ import annotations

import secrets

import httpx

from okta_session_mw import SessionService
from okta_session_mw.engine.limits import MAX_RATE_LIMIT_PAUSE
from okta_session_mw.engine.resolution import Source
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def made_up() -> str:
    return "sid=102" + secrets.token_hex(12)


def test_i14_67_one_absurd_reset_blinds_the_gate_to_okta_for_good() -> None:
    fake = FakeOkta(rate_limit=20)  # one bucket for /api/v1/sessions*, minute windows
    fake.add_user(LOGIN, "correct horse")
    with serve_fake_okta(fake) as url:
        clock = Clock(fake.now())
        config = make_config(fake, rate_limit_reserve=0.2, new_cookie_lookups_per_minute=0)
        service = SessionService(config, clock=clock)  # reserve: 4 of 20
        try:
            ann = fake.cookie_header(fake.create_session(LOGIN))
            assert service.resolve(ann).session is not None  # a known session
            fake.rate_limit_until(fake.now() + 10**7)  # one 429 whose Reset is months away
            assert service.resolve(made_up()).source is Source.UNAVAILABLE
            fake.rate_limit_until(None)
            clock.now += MAX_RATE_LIMIT_PAUSE + 1  # the bounded pause is over, and
            fake.advance(MAX_RATE_LIMIT_PAUSE + 1)  # Okta's windows have turned meanwhile
            with httpx.Client(base_url=url) as other_app:  # the org's other clients
                for _ in range(15):
                    other_app.get("/api/v1/sessions/me", headers={"Cookie": made_up()})
            fake.clear_calls()
            for _ in range(10):  # Okta has 5 left of 20: one more leaves the reserve (4)
                service.resolve(made_up())
            assert me_calls(fake) == 1, "made-up cookies spent Okta's reserve"
        finally:
            service.close()
