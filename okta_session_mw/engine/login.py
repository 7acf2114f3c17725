"""Signing in through the library: CreateSession from a sessionToken, as a flow."""

from __future__ import annotations

from collections.abc import Callable

from okta_session_mw.engine.effects import Flow, cache_set
from okta_session_mw.engine.limits import Spender
from okta_session_mw.engine.okta_calls import admit, gated, note_failure, probing
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import OktaRateLimitError, SignInThrottledError
from okta_session_mw.okta import operations
from okta_session_mw.okta.session import Session

__all__ = ["login"]


def login(
    session_token: str, key_for: Callable[[str], str], rules: Rules, client: str | None = None
) -> Flow[Session]:
    """CreateSession from a sessionToken; prime the cache for the ``sid`` cookie it makes.

    Okta counts CreateSession in the same sessions bucket as lookups and logouts, and
    anyone with an account can repeat it: a sign-in may spend half of the reserve
    (cached sessions keep the rest) and its ``client`` address's sign-in allowance.
    Refused, it raises ``SignInThrottledError`` before any call."""
    session: Session = yield from probing(
        rules, "create_session", Spender.SIGN_IN, lambda: _create(session_token, rules, client)
    )
    yield from cache_set(key_for(session.id), positive_entry(session, rules.clock(), rules.config))
    return session


def _create(session_token: str, rules: Rules, client: str | None) -> Flow[Session]:
    """CreateSession if the gate admits this sign-in, else ``SignInThrottledError``."""
    if not (yield from admit(rules, "create_session", Spender.SIGN_IN, client)):
        raise SignInThrottledError()
    try:
        session: Session = yield from gated(
            rules, operations.create_session, session_token, Spender.SIGN_IN
        )
    except OktaRateLimitError as exc:
        note_failure(exc, rules, "create_session")
        raise
    return session
