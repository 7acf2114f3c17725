"""What ``FakeOkta`` offers of event hooks: register, list and remove hooks, read the
System Log and the deliveries, wait for them; and the System Log events its operations
log (a base class of ``FakeOkta``, like ``FakeTraffic``).

The events, and which operation logs which (Okta's event types catalogue):

- ``user.session.end``: a session ended, by CloseCurrentSession (``DELETE
  /api/v1/sessions/me``), by an admin's revoke (``DELETE /api/v1/sessions/{id}``, or
  ``fake.revoke``), or as one of the sessions a clear ended. Okta logs one per ended
  session, with its id as ``authenticationContext.externalSessionId``; the actor and the
  only target are the session's user.
- ``user.session.clear``: an admin cleared a user's sessions (``DELETE
  /api/v1/users/{id}/sessions``). Logged once, with the admin as actor and the user as
  target, followed by a ``user.session.end`` per session cleared, all in one transaction.
- ``user.lifecycle.suspend`` / ``user.lifecycle.deactivate``: an admin suspended or
  deactivated a user (which ends the user's sessions). Admin actor, user target.

The admin (``fake.admin``) is the owner of the API token; it has no session, so its
events' ``externalSessionId`` is ``"unknown"``, as in Okta's logs of API-token calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from okta_session_mw.testing.fake_hook_records import EventHook, HookDelivery
from okta_session_mw.testing.fake_hooks import EventHookHub
from okta_session_mw.testing.fake_json import okta_id
from okta_session_mw.testing.fake_log_json import NO_SESSION, log_event
from okta_session_mw.testing.fake_records import FakeSession, FakeUser

__all__ = ["FakeEventHooks"]


class FakeEventHooks:
    """Event hooks of a fake Okta org. ``FakeOkta`` sets it up with ``_init_event_hooks``."""

    base_url: str | None
    admin: FakeUser
    """The admin who owns the API token: the actor of the admin operations' events."""

    def _init_event_hooks(self, timeout: float) -> None:
        self.admin = FakeUser(okta_id("00u"), "okta-admin@example.com", "Okta", "Admin", "")
        self._hooks = EventHookHub(
            clock=self.now, org_url=lambda: self.base_url or "http://127.0.0.1", timeout=timeout
        )

    def now(self) -> float:
        raise NotImplementedError  # FakeTraffic's

    def _stamp(self) -> float:
        raise NotImplementedError  # FakeTraffic's

    # -- the public face ----------------------------------------------------------------

    def register_event_hook(
        self,
        url: str,
        *,
        events: Iterable[str],
        header: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> EventHook:
        """Register a hook that Okta will call at ``url`` for the System Log ``events``.

        ``header`` is ``(name, value)`` of the secret header Okta sends on every call
        (``("authorization", secret)``); ``headers`` are more custom headers. Registration
        runs Okta's one-time verification first: a ``GET url`` with the headers and
        ``X-Okta-Verification-Challenge``, which must be answered 200 ``{"verification":
        <the challenge>}`` within ``event_hook_timeout``, else ``EventHookVerificationError``
        and nothing is registered. The endpoint must be served on a real socket (another
        thread or process) by then. Delivery starts with the next event.
        """
        return self._hooks.register(
            url, events=events, header=header, headers=headers or {}, name=name
        )

    @property
    def event_hooks(self) -> list[EventHook]:
        """The registered hooks, oldest first."""
        return self._hooks.hooks

    def remove_event_hook(self, hook: EventHook | str) -> bool:
        """Deregister a hook (or its id); ``False`` if it was not registered. Nothing more
        is sent to it, not even a retry."""
        return self._hooks.remove(hook)

    @property
    def log_events(self) -> list[dict[str, Any]]:
        """The System Log events the fake logged (with or without hooks), oldest first
        (the newest 10,000)."""
        return self._hooks.log

    @property
    def deliveries(self) -> list[HookDelivery]:
        """The delivery attempts so far (a retry is a second record), oldest first (the
        newest 10,000)."""
        return self._hooks.deliveries

    def wait_for_deliveries(self, timeout: float = 10.0) -> list[HookDelivery]:
        """Wait until no delivery is queued or in flight (retries included), then return
        ``deliveries``; ``TimeoutError`` if that takes over ``timeout`` seconds."""
        self._hooks.wait(timeout)
        return self.deliveries

    def stop_deliveries(self) -> None:
        """Cancel queued deliveries, let the one in flight end, join the delivery thread.

        ``serve_fake_okta`` calls it when it stops serving, so no delivery outlives the
        fake's server; later events are delivered again.
        """
        self._hooks.stop()

    # -- what the operations log ----------------------------------------------------------

    def _log(self, *events: dict[str, Any]) -> None:
        self._hooks.emit(list(events))

    def _session_ended_events(
        self, ended: Iterable[tuple[str, FakeUser]], request_uri: str, transaction_id: str
    ) -> list[dict[str, Any]]:
        """A ``user.session.end`` for each ``(session id, its user)``."""
        published = self._stamp()
        return [
            log_event(
                "user.session.end", actor=user, target=user, external_session_id=session_id,
                transaction_id=transaction_id, request_uri=request_uri, published=published,
            )
            for session_id, user in ended
        ]  # fmt: skip

    def _session_ended(self, session: FakeSession, request_uri: str) -> None:
        ended = [(session.id, session.user)]
        self._log(*self._session_ended_events(ended, request_uri, _transaction_id()))

    def _user_event(self, event_type: str, user: FakeUser, request_uri: str) -> None:
        self._log(self._admin_event(event_type, user, request_uri, _transaction_id()))

    def _admin_event(
        self, event_type: str, user: FakeUser, request_uri: str, transaction_id: str
    ) -> dict[str, Any]:
        return log_event(
            event_type, actor=self.admin, target=user, external_session_id=NO_SESSION,
            transaction_id=transaction_id, request_uri=request_uri, published=self._stamp(),
        )  # fmt: skip

    def _user_sessions_cleared(self, user_id: str, session_ids: Iterable[str]) -> None:
        """Log (and deliver) what Okta logs when an admin clears a user's sessions
        (``DELETE /api/v1/users/{userId}/sessions``): one ``user.session.clear``, then a
        ``user.session.end`` for each of ``session_ids`` (already ended by the caller).
        ``KeyError`` for an unknown ``user_id``."""
        user = self._user_by_id(user_id)
        uri, transaction_id = f"/api/v1/users/{user.id}/sessions", _transaction_id()
        ended = [(session_id, user) for session_id in session_ids]
        self._log(
            self._admin_event("user.session.clear", user, uri, transaction_id),
            *self._session_ended_events(ended, uri, transaction_id),
        )

    def _user_by_id(self, user_id: str) -> FakeUser:
        raise NotImplementedError  # FakeUserLifecycle's


def _transaction_id() -> str:
    """Like Okta's request ids (``X-Okta-Request-Id``), which its transactions carry."""
    return okta_id("", 27)

