"""One refresh per ``expiresAt`` in one process, whatever the interleaving (issue 14.4).

With refresh-ahead on, a refresh due right after a lookup is made behind, by the key's
one background revalidation. Before, the request that looked the session up refreshed
it in its own path, while a second request that found the new entry (due for its
refresh) started a revalidation that refreshed it too: two RefreshCurrentSession calls
for one ``expiresAt`` (the in-process cache's claim is always "yours"). Two requests are
interleaved by hand, the second starting at every turn of the first, and a background
revalidation runs beside them as soon as it is started, as the runners run it.
"""

from __future__ import annotations

from typing import Any

import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.engine.lookup import resolve
from tests.support.flow_interleave import Interleaving
from tests.support.flow_steps import DictCache, OktaCall, Stepper, live_session, rules_at

NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(  # refresh_ahead 0.2 (the default)
    org_url="https://example.okta.com", cache_ttl=60, stale_if_error=120, refresh_threshold=300
)
KEY, COOKIE = "k" * 64, "sid=s1"
SOON = NOW + 200  # Okta's expiresAt at the lookup: due for its refresh (within 300 s)
BEHIND = "background ahead:" + KEY


def okta(call: OktaCall) -> Any:
    if call.operation == "get_current_session":
        return live_session(SOON)
    assert call.operation == "refresh_current_session"
    return live_session(NOW + 7200)


@pytest.mark.parametrize("second_starts_at", range(16))
def test_i14_85_a_refresh_due_after_a_lookup_is_made_once_and_behind(
    second_starts_at: int,
) -> None:
    stepper = Stepper(DictCache(), okta)
    together = Interleaving(stepper, latency=lambda call: 3)
    rules = rules_at([NOW], CONFIG)
    together.start("first", resolve(KEY, COOKIE, rules))
    together.start("second", resolve(KEY, COOKIE, rules), at=second_starts_at)
    outcomes = together.run()
    assert stepper.calls.count("refresh_current_session") == 1
    refreshes = [event for event in together.events if event.endswith("refresh_current_session")]
    assert refreshes == [
        f"{BEHIND} sends refresh_current_session",
        f"{BEHIND} answered refresh_current_session",
    ]
    assert outcomes["first"].session == live_session(SOON)  # no request waited on it
    assert stepper.cache.entries[KEY].session == live_session(NOW + 7200)
    assert stepper.background == {}
