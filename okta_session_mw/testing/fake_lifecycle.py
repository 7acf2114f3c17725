"""User lifecycle at the fake Okta: suspend and deactivate, as an admin would (a base
class of ``FakeOkta``). Either ends the user's sessions and logs its System Log event;
only an ``ACTIVE`` user signs in.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from okta_session_mw.testing.fake_event_hooks import FakeEventHooks
from okta_session_mw.testing.fake_records import FakeSession, FakeUser

__all__ = ["FakeUserLifecycle"]


class FakeUserLifecycle(FakeEventHooks):
    """Users' statuses; ``FakeOkta`` holds the users, sessions and lock it works on."""

    _lock: threading.RLock
    _users: dict[str, FakeUser]  # by login, lower case
    _sessions: dict[str, FakeSession]

    def _user(self, login: str) -> FakeUser:
        raise NotImplementedError  # FakeOkta's

    def _active_user(self, login: str) -> FakeUser:
        user = self._user(login)
        if user.status != "ACTIVE":
            raise ValueError(f"user {login!r} is {user.status}: only an active user signs in")
        return user

    def _user_by_id(self, user_id: str) -> FakeUser:
        """The user with this id, or this login (Okta's ``/users/{id}`` takes either)."""
        with self._lock:
            for user in self._users.values():
                if user.id == user_id:
                    return user
            return self._user(user_id)

    def suspend_user(self, login: str) -> FakeUser:
        """Suspend an active user (by login or id) as an admin would (``POST
        /api/v1/users/{id}/lifecycle/suspend``): the user's sessions end, sign-in is
        refused, ``user.lifecycle.suspend`` is logged. ``ValueError`` unless ``ACTIVE``."""
        return self._change_status(login, "SUSPENDED", "suspend", ("ACTIVE",))

    def deactivate_user(self, login: str) -> FakeUser:
        """Deactivate a user (by login or id) as an admin would (``POST
        /api/v1/users/{id}/lifecycle/deactivate``): status ``DEPROVISIONED``, sessions
        end, ``user.lifecycle.deactivate`` is logged. A deactivated user is left as is."""
        return self._change_status(login, "DEPROVISIONED", "deactivate", ("ACTIVE", "SUSPENDED"))

    def _change_status(
        self, ref: str, status: str, operation: str, allowed_from: tuple[str, ...]
    ) -> FakeUser:
        with self._lock:
            user = self._user_by_id(ref)
            if user.status == status == "DEPROVISIONED":
                return user
            if user.status not in allowed_from:
                raise ValueError(f"cannot {operation} a user who is {user.status}")
            user = self._users[user.login.lower()] = replace(user, status=status)
            for session_id in [s.id for s in self._sessions.values() if s.user_id == user.id]:
                del self._sessions[session_id]
        self._user_event(
            f"user.lifecycle.{operation}", user, f"/api/v1/users/{user.id}/lifecycle/{operation}"
        )
        return user
