"""Views the Django tests drive: public, untouched, protected (sync/async, decorator/mixin)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from okta_session_mw.integrations.django import (
    OktaSessionRequiredMixin,
    alogin_with_session_token,
    csrf_allows,
    get_okta_session,
    login_with_session_token,
    okta_session_required,
)
from okta_session_mw.okta.session import Session, SessionStatus


def _describe(session: Session | None) -> dict[str, Any]:
    if session is None:
        return {"login": None}
    return {
        "login": session.login,
        "id": session.id,
        "status": session.status.value,
        "expires_at": session.expires_at.timestamp(),
    }


def public(request: HttpRequest) -> JsonResponse:
    """Reads the lazy ``request.okta_session``."""
    session = request.okta_session  # type: ignore[attr-defined]
    return JsonResponse({**_describe(get_okta_session(request)), "truthy": bool(session)})


def untouched(request: HttpRequest) -> HttpResponse:
    """Never reads the session: no Okta call may happen."""
    return HttpResponse("untouched")


@okta_session_required
def protected(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_describe(request.okta_session))  # type: ignore[attr-defined]


@okta_session_required(statuses={SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED})
def mfa_allowed(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_describe(get_okta_session(request)))


@okta_session_required
async def aprotected(request: HttpRequest) -> JsonResponse:
    # resolved by the decorator: a plain read no longer needs I/O
    session = await request.aokta_session()  # type: ignore[attr-defined]
    assert session is not None
    assert request.okta_session.id == session.id  # type: ignore[attr-defined]
    return JsonResponse(_describe(session))


async def apublic(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_describe(await request.aokta_session()))  # type: ignore[attr-defined]


async def async_sync_read(request: HttpRequest) -> JsonResponse:
    """Wrong on purpose: a sync read in async code."""
    return JsonResponse({"truthy": bool(request.okta_session)})  # type: ignore[attr-defined]


class MixinView(OktaSessionRequiredMixin, View):
    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_describe(get_okta_session(request)))


class AsyncMixinView(OktaSessionRequiredMixin, View):
    async def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_describe(await request.aokta_session()))  # type: ignore[attr-defined]


def login(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({})
    session = login_with_session_token(request, response, request.POST["session_token"])
    response.content = JsonResponse(_describe(session)).content
    return response


async def alogin(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({})
    session = await alogin_with_session_token(request, response, request.POST["session_token"])
    response.content = JsonResponse(_describe(session)).content
    return response


def logout_form(request: HttpRequest) -> HttpResponse:
    """Renders the context processor's logout token field."""
    template = engines["django"].from_string(
        '<input name="{{ okta_csrf_field }}" value="{{ okta_logout_csrf_token }}">'
    )
    return HttpResponse(template.render({}, request))


@csrf_exempt  # the library's rule is the one under test
def change(request: HttpRequest) -> HttpResponse:
    """An app's own state-changing form, guarded by ``csrf_allows``."""
    allowed = csrf_allows(request)
    return HttpResponse("changed" if allowed else "refused", status=200 if allowed else 403)


def header_login(request: HttpRequest) -> JsonResponse:
    """As ``login``, the token in a header (Django's error page shows the POST data, and
    hides headers whose names look secret): what the page shows of ours alone."""
    response = JsonResponse({})
    login_with_session_token(request, response, request.headers["X-Session-Token"])
    return response


async def aheader_login(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({})
    await alogin_with_session_token(request, response, request.headers["X-Session-Token"])
    return response
