"""The demo org: users the fake Okta knows, and the fake itself, when no real org is set."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from okta_session_mw.testing import FakeOkta

__all__ = ["DEMO_ADMINS", "DEMO_USERS", "DemoUser", "make_fake_okta", "make_hook_secret"]


@dataclass(frozen=True, slots=True)
class DemoUser:
    login: str
    password: str = field(repr=False)
    first_name: str
    last_name: str


DEMO_USERS = (
    DemoUser("ada@example.com", "analytical-engine", "Ada", "Lovelace"),
    DemoUser("grace@example.com", "cobol-1959", "Grace", "Hopper"),
)

DEMO_ADMINS = frozenset({DEMO_USERS[0].login})
"""Who may open the admin page: Ada. Anyone else signed in gets 403, anonymous visitors
are sent to sign-in. A real app would ask its own directory (an Okta group, say)."""

DEMO_IDLE_TIMEOUT = 15 * 60.0
"""Short enough to watch: with the default 5-minute refresh threshold, a page load in
the last five minutes refreshes the session and the profile's countdown jumps back."""


def make_fake_okta(
    users: tuple[DemoUser, ...] = DEMO_USERS, *, idle_timeout: float = DEMO_IDLE_TIMEOUT
) -> FakeOkta:
    """A fake Okta org with ``users`` and a fresh random API token (``fake.api_token``)."""
    fake = FakeOkta(api_token=secrets.token_urlsafe(24), idle_timeout=idle_timeout)
    for user in users:
        fake.add_user(
            user.login, user.password, first_name=user.first_name, last_name=user.last_name
        )
    return fake


def make_hook_secret() -> str:
    """A fresh secret for the fake's event hook (the value of ``event_hook_header``), made
    each run and held only by the app's config and the fake: never printed or shown."""
    return secrets.token_urlsafe(32)
