"""What an answer of Okta's about a cookie becomes in the cache: "no session" for the
statuses that mean it, and the entry stored for a session (``store_answer``), for a
lookup, a refresh and a revalidation alike.
"""

from __future__ import annotations

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.engine.effects import Flow, cache_set
from okta_session_mw.engine.policy import negative_entry, positive_entry
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import InvalidRequestError, OktaAuthError, OktaNotFoundError
from okta_session_mw.okta.session import Session

__all__ = ["NO_SESSION", "store_answer"]

NO_SESSION = (OktaNotFoundError, OktaAuthError, InvalidRequestError)
"""404 is Okta's "no session"; 401/403 are what some orgs answer for a bad cookie; a
cookie that cannot even be sent is no session either."""


def store_answer(
    key: str,
    session: Session,
    asked: float,
    rules: Rules,
    previous: CacheEntry | None,
    refreshed: bool,
) -> Flow[CacheEntry]:
    """Cache what Okta answered with a session (``refreshed``: to a refresh) to the
    question asked at ``asked``, and return the entry stored."""
    now, config = rules.clock(), rules.config
    if session.expires_at.timestamp() <= now:
        # Okta's clock and ours disagree: never serve a session past its expiresAt.
        entry = negative_entry(now, config)
    else:
        entry = positive_entry(
            session, now, config, previous=previous, refreshed=refreshed, asked_at=asked
        )
    yield from cache_set(key, entry)
    return entry
