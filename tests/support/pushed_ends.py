"""The end-to-end check every WSGI adapter's event-hook endpoint passes: an app behind a
real server, its hook registered with (and verified by) the fake Okta; a session
revoked at Okta, then all of a user's sessions cleared there, and each time the
browser's next request is signed out."""

from __future__ import annotations

from collections.abc import Callable

from okta_session_mw.testing import FakeOkta

__all__ = ["ENDS", "assert_signed_out_by_deliveries"]

ENDS = ("user.session.end", "user.session.clear")
"""The event types the hook registers for."""


def assert_signed_out_by_deliveries(
    okta: FakeOkta,
    hook_url: str,
    secret: str,
    login: str,
    served_at: Callable[[str], str | None],
) -> None:
    """``served_at(session_id)``: the session id the app served that cookie, or None."""
    okta.register_event_hook(hook_url, events=ENDS, header=("authorization", secret))
    revoked, mine, also_mine = (okta.create_session(login) for _ in range(3))
    for session_id in (revoked, mine, also_mine):
        assert served_at(session_id) == session_id  # cached for cache_ttl
    okta.revoke(revoked)
    deliveries = okta.wait_for_deliveries()
    assert [(d.status, d.event_types) for d in deliveries] == [(200, ("user.session.end",))]
    assert served_at(revoked) is None
    assert served_at(mine) == mine
    okta.revoke_user_sessions(okta.users[0].id)
    assert all(d.status == 200 for d in okta.wait_for_deliveries())
    assert [served_at(s) for s in (mine, also_mine)] == [None, None]
