"""Views of the quickstart: one public page, one protected page (mixin), one protected
async JSON endpoint (decorator) and a sign-in form.

The sign-in form is the "set the session cookie yourself" path: Okta's ``/api/v1/authn``
checks the password and gives a ``sessionToken``; ``login_with_session_token`` turns it
into an Okta session (CreateSession) and sets the ``sid`` cookie. Apps that sit on the
same site as Okta (custom domain, reverse proxy) need no sign-in page at all.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import TemplateView

from okta_session_mw import OktaSessionClient, OktaSessionError, SignInThrottledError
from okta_session_mw.integrations.django import (
    OktaSessionRequiredMixin,
    get_service,
    login_with_session_token,
    okta_session_required,
)


def home(request: HttpRequest) -> HttpResponse:
    """Public: the template reads ``request.okta_session`` (looked up only here)."""
    return render(request, "home.html")


class ProfileView(OktaSessionRequiredMixin, TemplateView):
    """Only for an active Okta session: others are sent to /login/?next=/profile/."""

    template_name = "profile.html"


@okta_session_required
async def api_me(request: HttpRequest) -> JsonResponse:
    """Async and protected: an API client without a session gets a JSON 401."""
    session = await request.aokta_session()
    return JsonResponse(
        {
            "login": session.login,
            "status": session.status.value,
            "expires_at": session.expires_at.isoformat(),
        }
    )


def login(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: sign in at Okta, set ``sid``, go back to ``next``."""
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    error, status = None, 200
    if request.method == "POST":
        try:
            with OktaSessionClient(get_service().config.org_url) as client:
                session_token = client.authenticate(
                    request.POST.get("username", ""), request.POST.get("password", "")
                )
            response = HttpResponseRedirect(target, status=303)
            login_with_session_token(request, response, session_token)
            return response
        except SignInThrottledError:  # held back to keep Okta's rate limit
            error, status = "Too many sign-ins right now; try again shortly.", 503
        except OktaSessionError:
            error, status = "Sign-in failed: check the user name and password.", 401
    return render(request, "login.html", {"next": target, "error": error}, status=status)
