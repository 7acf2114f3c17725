"""A project middleware that reads ``request.okta_session`` on every request before the
view (as an audit log or a "signed in as" header would): the logout views must still
cost no Okta call."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


def reads_the_session(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    def middleware(request: HttpRequest) -> HttpResponseBase:
        signed_in = bool(request.okta_session)  # type: ignore[attr-defined]
        response = get_response(request)
        response["X-Signed-In"] = "yes" if signed_in else "no"
        return response

    return middleware
