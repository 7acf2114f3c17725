"""Render the core's neutral ``Reply`` as a Django ``HttpResponse``.

Django keeps cookies apart from the other headers (``response.cookies``, one morsel per
name), so each ``Set-Cookie`` line the core wrote is parsed into a morsel instead of
being copied as a header: the attributes (HttpOnly, Secure, SameSite, expiry) stay
exactly the ones the core decided.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from django.http import HttpResponse, HttpResponseBase, HttpResponseRedirect

from okta_session_mw.web.reply import Reply

__all__ = ["add_set_cookie", "render_reply"]


def add_set_cookie(response: HttpResponseBase, header: str) -> None:
    """Add one ``Set-Cookie`` header value (as the core builds it) to ``response``."""
    parsed: SimpleCookie = SimpleCookie()
    try:
        parsed.load(header)
    except CookieError:
        parsed.clear()
    if len(parsed) != 1:  # the core only writes one plain cookie per line
        raise ValueError("not a single Set-Cookie value")
    for name, morsel in parsed.items():
        response.cookies[name] = morsel


def render_reply(reply: Reply) -> HttpResponse:
    """An ``HttpResponse`` with the reply's status, headers, cookies and body; a redirect
    is Django's ``HttpResponseRedirect`` (with the reply's 303), so ``response.url``,
    ``Client(...).get(..., follow=True)`` and ``assertRedirects`` work as with Django's own."""
    location = reply.location
    response: HttpResponse
    if location is not None:
        response = HttpResponseRedirect(
            location, status=reply.status, content=reply.body, content_type=reply.media_type
        )
    else:
        response = HttpResponse(reply.body, status=reply.status, content_type=reply.media_type)
    if reply.media_type is None:
        del response.headers["Content-Type"]  # a 303 or 204 has no body to describe
    for name, value in reply.other_headers:
        if name == "set-cookie":
            add_set_cookie(response, value)
        elif name != "location":
            response.headers[name] = value
    return response
