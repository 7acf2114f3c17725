"""``FakeOkta``: the state of a fake Okta org, and ``serve_fake_okta`` to put it on loopback.

The server answers from its own thread while a test seeds users, opens sessions and reads
the recorded calls from the test thread, so every piece of state sits behind one lock
that is never held across an ``await``. Time is the fake's own: ``clock()`` plus whatever
``advance()`` added, used for expiry, the ``Date`` header and rate-limit windows alike.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from okta_session_mw.testing.asgi_exchange import Receive, Scope, Send
from okta_session_mw.testing.fake_asgi import handle
from okta_session_mw.testing.fake_json import AMR_VALUES, SESSION_STATUSES, okta_id
from okta_session_mw.testing.fake_lifecycle import FakeUserLifecycle
from okta_session_mw.testing.fake_rate_limit import BUCKET_LAYOUTS
from okta_session_mw.testing.fake_records import FakeSession, FakeUser
from okta_session_mw.testing.fake_traffic import FakeTraffic
from okta_session_mw.testing.server import serve_asgi

__all__ = ["FakeOkta", "serve_fake_okta"]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class FakeOkta(FakeTraffic, FakeUserLifecycle):
    """A fake Okta org: an ASGI app (``await fake(scope, receive, send)``) plus its state.

    ``idle_timeout`` and ``max_lifetime`` (seconds) set every session's
    ``expiresAt = min(now + idle_timeout, createdAt + max_lifetime)``; a refresh
    recomputes it, a GET does not. ``rate_limit`` requests per ``rate_limit_window``
    seconds are allowed per bucket; ``rate_limit_buckets`` says which endpoints share
    one (``"sessions"``, as Okta documents it, or ``"endpoint"``: see
    ``fake_rate_limit``). ``bearer_tokens`` are OAuth2 access tokens accepted
    on the ``/sessions/{id}`` operations. ``clock`` gives epoch seconds. The clock,
    the recorded calls, faults and rate limits come from ``FakeTraffic``; suspending and
    deactivating users from ``FakeUserLifecycle``; event hooks (``register_event_hook``,
    ``deliveries``, ``wait_for_deliveries``) from ``FakeEventHooks``, each call to a hook
    bounded by ``event_hook_timeout`` seconds (Okta's is 3).
    """

    def __init__(
        self,
        api_token: str = "test-token",  # noqa: S107 - a fake's well-known test credential
        *,
        bearer_tokens: Iterable[str] = (),
        idle_timeout: float = 7200.0,
        max_lifetime: float = 86400.0,
        rate_limit: int = 600,
        rate_limit_window: float = 60.0,
        rate_limit_buckets: str = "sessions",
        session_token_ttl: float = 300.0,
        clock: Callable[[], float] = time.time,
        event_hook_timeout: float = 3.0,
    ) -> None:
        if min(idle_timeout, max_lifetime, session_token_ttl) <= 0:
            raise ValueError("idle_timeout, max_lifetime and session_token_ttl must be > 0")
        if not api_token.strip():
            raise ValueError("api_token must not be empty (a bare 'SSWS' would pass)")
        if rate_limit_buckets not in BUCKET_LAYOUTS:
            raise ValueError(f"rate_limit_buckets must be one of {BUCKET_LAYOUTS}")
        super().__init__(
            rate_limit=rate_limit,
            rate_limit_window=rate_limit_window,
            rate_limit_buckets=rate_limit_buckets,
            clock=clock,
        )
        self.api_token = api_token
        self.bearer_tokens = frozenset(bearer_tokens)
        self.idle_timeout = idle_timeout
        self.max_lifetime = max_lifetime
        self.session_token_ttl = session_token_ttl
        self.org_id = okta_id("00o")
        """The org's id: ``idp.id`` of every session (Okta: "if type is OKTA, the org ID")."""
        self.base_url: str | None = None
        """``http://127.0.0.1:PORT`` while served by ``serve_fake_okta``, else ``None``."""
        self._users: dict[str, FakeUser] = {}  # by login, lower case (Okta logins ignore case)
        self._sessions: dict[str, FakeSession] = {}  # live sessions by id
        # idx cookie <-> session id, both ways; kept after the session ends (stale cookies)
        self._idx: dict[str, str] = {}
        self._idx_of: dict[str, str] = {}
        self._session_tokens: dict[str, tuple[FakeUser, float]] = {}  # -> (user, expires at)
        self._init_event_hooks(event_hook_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await handle(self, scope, receive, send)

    # -- users, tokens, sessions --------------------------------------------------------

    def add_user(
        self, login: str, password: str, *, first_name: str = "Demo", last_name: str = "User"
    ) -> FakeUser:
        user = FakeUser(okta_id("00u"), login, first_name, last_name, password)
        with self._lock:
            if login.lower() in self._users:
                raise ValueError(f"user {login!r} already exists")
            self._users[login.lower()] = user
        return user

    @property
    def users(self) -> list[FakeUser]:
        with self._lock:
            return list(self._users.values())

    def _user(self, login: str) -> FakeUser:
        try:
            return self._users[login.lower()]
        except KeyError:
            raise KeyError(f"no user {login!r}; add_user() first") from None

    def issue_session_token(self, login: str) -> str:
        """A one-time ``sessionToken`` for ``login``, as ``POST /api/v1/authn`` gives."""
        token = secrets.token_urlsafe(31)
        with self._lock:
            user = self._active_user(login)
            self._session_tokens[token] = (user, self.now() + self.session_token_ttl)
        return token

    def create_session(
        self, login: str, *, status: str = "ACTIVE", amr: Iterable[str] = ("pwd",)
    ) -> str:
        """Open a session for ``login`` directly (no HTTP) and return its id."""
        with self._lock:
            return self._open_session(self._active_user(login), status, tuple(amr)).id

    def _open_session(self, user: FakeUser, status: str, amr: tuple[str, ...]) -> FakeSession:
        if status not in SESSION_STATUSES:
            raise ValueError(f"status must be one of {sorted(SESSION_STATUSES)}")
        if not set(amr) <= AMR_VALUES:
            raise ValueError(f"amr values must be among {sorted(AMR_VALUES)}")
        created = self._stamp()
        expires = min(created + self.idle_timeout, created + self.max_lifetime)
        session = FakeSession(
            okta_id("102", 25), user, status, amr, created, expires, secrets.token_urlsafe(32)
        )
        self._sessions[session.id] = session
        self._idx[session.idx] = session.id
        self._idx_of[session.id] = session.idx
        return session

    def session(self, session_id: str) -> FakeSession | None:
        """The live session ``session_id``, or ``None`` (unknown, revoked or expired)."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and self.now() >= session.expires_at:
                del self._sessions[session_id]  # Okta forgets expired sessions: 404 from now on
                return None
            return session

    @property
    def sessions(self) -> list[FakeSession]:
        """Snapshots of every live session."""
        with self._lock:
            return [s for s in list(self._sessions.values()) if self.session(s.id) is not None]

    def cookie_header(self, session_id: str, name: str = "sid") -> str:
        """The ``Cookie`` header a browser holding this session sends: ``sid=<id>`` or ``idx=...``.

        Works for ended sessions too (to test a stale cookie); ``KeyError`` for ids this fake
        never issued.
        """
        with self._lock:
            idx = self._idx_of.get(session_id)
        if idx is None:
            raise KeyError(f"no session {session_id!r} was ever created here")
        if name == "sid":
            return f"sid={session_id}"
        if name == "idx":
            return f"idx={idx}"
        raise ValueError("cookie name must be 'sid' or 'idx'")

    def revoke(self, session_id: str) -> bool:
        """End a session as an admin would (``DELETE /api/v1/sessions/{id}``), logging
        ``user.session.end``; ``False`` if it was not live."""
        return self._end_session(session_id, f"/api/v1/sessions/{session_id}")

    def _close_current(self, session_id: str) -> bool:
        """CloseCurrentSession: the user signs out (``DELETE /api/v1/sessions/me``)."""
        return self._end_session(session_id, "/api/v1/sessions/me")

    def _end_session(self, session_id: str, request_uri: str) -> bool:
        with self._lock:
            session = self.session(session_id)
            if session is None:
                return False
            del self._sessions[session_id]
        self._session_ended(session, request_uri)
        return True

    def revoke_user_sessions(self, user_id: str) -> list[str] | None:
        """End every live session of the user ``user_id`` (Okta's "clear user sessions",
        delivered to the event hooks as Okta logs it); the ids ended, or ``None`` for a
        user id this fake does not know."""
        with self._lock:
            if not any(user.id == user_id for user in self._users.values()):
                return None
            ended = [s.id for s in self.sessions if s.user_id == user_id]
            for session_id in ended:
                del self._sessions[session_id]
        self._user_sessions_cleared(user_id, ended)  # user.session.clear, then each end
        return ended

    def _refresh(self, session_id: str) -> FakeSession | None:
        with self._lock:
            session = self.session(session_id)
            if session is None:
                return None
            expires = min(self._stamp() + self.idle_timeout, session.created_at + self.max_lifetime)
            self._sessions[session_id] = session = replace(session, expires_at=expires)
            return session

    def _session_for_cookies(self, cookies: dict[str, str]) -> FakeSession | None:
        """The live session that a ``sid`` (the session id) or ``idx`` cookie names."""
        with self._lock:
            if "sid" in cookies and (session := self.session(cookies["sid"])) is not None:
                return session
            session_id = self._idx.get(cookies.get("idx", ""))
            return self.session(session_id) if session_id is not None else None

    def _authenticate(self, username: str, password: str) -> tuple[FakeUser, str, float] | None:
        """Check a password; on success a new one-time session token and its expiry."""
        with self._lock:
            user = self._users.get(username.lower())
            if user is None or not _same(password, user.password) or user.status != "ACTIVE":
                return None
            token = self.issue_session_token(user.login)
            return user, token, self._session_tokens[token][1]

    def _redeem(self, session_token: str) -> FakeSession | None:
        """Spend a session token (used, expired or unknown: ``None``) on a new session."""
        with self._lock:
            entry = self._session_tokens.pop(session_token, None)
            if entry is None or self.now() >= entry[1]:
                return None
            if self._user(entry[0].login).status != "ACTIVE":
                return None  # suspended or deactivated since the token was issued
            return self._open_session(entry[0], "ACTIVE", ("pwd",))

    def _credential(self, authorization: str | None) -> str | None:
        """``"ssws"`` for the API token (``SSWS <t>`` or ``SSWS<t>``), ``"bearer"`` for a
        configured OAuth2 access token, else ``None``."""
        value = (authorization or "").strip()
        if value[:4].lower() == "ssws" and _same(value[4:].strip(), self.api_token):
            return "ssws"
        scheme, _, token = value.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and any(_same(token, t) for t in self.bearer_tokens):
            return "bearer"
        return None


@contextlib.contextmanager
def serve_fake_okta(fake: FakeOkta, *, port: int = 0) -> Iterator[str]:
    """Serve ``fake`` over real HTTP on ``127.0.0.1`` (``port=0``: a free port).

    Yields the base URL, also set as ``fake.base_url`` for the block. Stopping closes
    every connection and cancels event-hook deliveries still queued (``stop_deliveries``);
    the fake keeps its state, so serving it again on the same ``port`` simulates Okta
    coming back after an outage.
    """
    with serve_asgi(fake, port=port) as base_url:
        fake.base_url = base_url
        try:
            yield base_url
        finally:
            fake.stop_deliveries()
            fake.base_url = None
