"""Ending all of a user's sessions by the admin API, as a flow: Okta's "clear user
sessions" (``DELETE /api/v1/users/{userId}/sessions``), then an eviction by user
everywhere (issue 13, item 3).

Like ``logout.revoke``, the cache is told only once Okta has answered: if Okta fails
the sessions live on there, so the cache is still right about them.
"""

from __future__ import annotations

import logging

from okta_session_mw.engine.effects import Flow, cache_evict_user
from okta_session_mw.engine.okta_calls import call_okta
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import OktaNotFoundError
from okta_session_mw.okta import operations
from okta_session_mw.okta.operations import Call

__all__ = ["revoke_user_sessions"]

logger = logging.getLogger("okta_session_mw")


def revoke_user_sessions(user_id: str, rules: Rules, oauth_tokens: bool = False) -> Flow[bool]:
    """Clear the user's sessions at Okta (``oauth_tokens``: and the user's OAuth 2.0
    tokens), then evict all of them from the cache, on every worker; False when Okta
    knows no such user (evicted all the same: nothing of it may be served). Any other
    failure is raised and nothing is evicted. When a shared cache cannot be reached the
    eviction is owed (sent with its next call) and a warning says so."""

    def revoke_user_sessions(user: str) -> Call[None]:  # named for the stats and the gate
        return operations.revoke_user_sessions(user, oauth_tokens)

    found = True
    try:
        yield from call_okta(rules, revoke_user_sessions, user_id)
    except OktaNotFoundError:
        found = False
    if not (yield from cache_evict_user(user_id)):
        logger.warning(
            "okta_session_mw: a user's sessions ended at Okta; the shared cache could not "
            "be reached, and other workers may serve them until it is"
        )
    return found
