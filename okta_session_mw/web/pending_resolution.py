"""``PendingResolution``: one request's session, looked up at the first read (Flask, Django).

The rule of laziness both WSGI-side adapters share, as ``request.user`` and Flask-Login's
``current_user`` do it: what needs no I/O is settled when the request arrives
(``SessionService.prepare``: no Okta cookie, a path never looked up, a fresh hit in the
in-process cache); the lookup waits for the first read and is made at most once, so a
view that never reads the session costs no call to Okta, and later reads reuse it.
(The Starlette middleware resolves before the app instead: its value lives in the
ASGI scope, as a plain one.)
"""

from __future__ import annotations

from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.engine.service import Lookup, SessionService
from okta_session_mw.okta.session import Session

__all__ = ["PendingResolution"]

_NO_COOKIE = Source.NO_COOKIE  # read per request: an enum member from its class costs more


class PendingResolution:
    """One request's resolution, made at the first read and kept.

    ``routed_to_logout`` is asked once, at the first read of a request that carries an
    Okta cookie; an adapter whose router can send a request to a logout view mounted
    somewhere other than ``logout_path`` overrides it (Django's views mark themselves).
    The core then never looks the request up (``prepare(..., logout=True)``), as it
    never looks up ``logout_path``.
    """

    __slots__ = ("_client", "_cookie_header", "_path", "_ready", "_routed", "service")

    def __init__(
        self, service: SessionService, cookie_header: str | None, path: str, client: str | None
    ) -> None:
        self.service = service
        self._cookie_header, self._path, self._client = cookie_header, path, client
        self._ready: Resolution | Lookup = service.prepare(cookie_header, path, client)
        self._routed = False

    def __repr__(self) -> str:  # the cookie header is a credential
        return f"PendingResolution(resolved={isinstance(self._ready, Resolution)})"

    def ready(self) -> Resolution | Lookup:
        """The ``Resolution`` if no I/O is needed (any more), else the ``Lookup`` to make."""
        ready = self._ready
        if not self._routed:
            self._routed = True
            has_cookie = isinstance(ready, Lookup) or ready.source is not _NO_COOKIE
            if has_cookie and self.routed_to_logout():
                self._ready = ready = self.service.prepare(
                    self._cookie_header, self._path, self._client, logout=True
                )
        return ready

    def routed_to_logout(self) -> bool:
        """Whether the framework's router sends this request to a logout view."""
        return False

    def resolve(self) -> Resolution:
        """The resolution, looked up now (sync client) if this is the first read needing it."""
        ready = self.ready()
        if isinstance(ready, Lookup):
            self._ready = ready = self.service.finish(ready)
        return ready

    async def aresolve(self) -> Resolution:
        """``resolve`` with the async client (an ASGI server's loop)."""
        ready = self.ready()
        if isinstance(ready, Lookup):
            self._ready = ready = await self.service.afinish(ready)
        return ready

    def session(self) -> Session | None:
        return self.resolve().session

    async def asession(self) -> Session | None:
        return (await self.aresolve()).session
