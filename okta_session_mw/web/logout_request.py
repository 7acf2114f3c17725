"""``LogoutRequest``: what an adapter reads off a logout (or CSRF-checked) request.

Each adapter fills it from its framework's request (a field per attribute: that is the
translation); the one rule adapters share about reading it, when to parse the form for
the token, is ``form_token_wanted``. The service decides everything else.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass

from okta_session_mw.web.csrf import CSRF_HEADER

__all__ = ["LogoutRequest", "form_token_wanted"]


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """What an adapter reads off a logout request; the service decides the rest."""

    method: str
    scheme: str
    host: str | None
    headers: Mapping[str, str]
    """Lower-case names: ``origin``, ``referer``, ``accept``, ``x-csrf-token``..."""
    cookie_header: str | None
    form_token: str | None = None
    """The ``csrf_token`` form field, if the adapter read one."""
    redirect_to: str | None = None
    client: str | None = None
    """The transport peer's address as the server reports it (ASGI ``scope["client"]``,
    WSGI ``REMOTE_ADDR``): a logout of a cookie with no cached session spends its
    allowance, as a lookup would."""

    @property
    def token(self) -> str | None:
        return self.headers.get(CSRF_HEADER) or self.form_token

    def __repr__(self) -> str:  # headers hold cookies
        return f"LogoutRequest(method={self.method!r}, host={self.host!r})"


def form_token_wanted(method: str, headers: Container[str], given: str | None) -> bool:
    """Whether to read the ``csrf_token`` form field: only for a POST whose token was
    neither given nor sent in ``X-CSRF-Token`` (which wins: ``LogoutRequest.token``), so
    a script's request is never made to have its body parsed. ``headers`` matches names
    case-insensitively or holds lower-case ones."""
    return given is None and method == "POST" and CSRF_HEADER not in headers
