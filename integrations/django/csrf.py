"""The request's CSRF nonce state, shared by the token helper (``views``) and the
middleware, which adds the nonce cookie the helper made to the response (the core
decides everything: ``okta_session_mw.web.csrf``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase

from okta_session_mw.web.csrf import CsrfState

from .responses import add_set_cookie

__all__ = ["add_csrf_cookie", "csrf_state"]

_CSRF_STATE = "_okta_session_csrf"


def csrf_state(request: HttpRequest) -> CsrfState:
    """This request's ``CsrfState``, made at the first token of the request."""
    state = getattr(request, _CSRF_STATE, None)
    if not isinstance(state, CsrfState):
        state = CsrfState()
        setattr(request, _CSRF_STATE, state)
    return state


def add_csrf_cookie(request: HttpRequest, response: HttpResponseBase) -> None:
    """Add the nonce ``Set-Cookie`` a token helper made for this request, if any."""
    state = getattr(request, _CSRF_STATE, None)
    if isinstance(state, CsrfState) and state.set_cookie is not None:
        add_set_cookie(response, state.set_cookie)
