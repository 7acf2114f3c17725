"""Views guarded by Django's own auth (``login_required``, ``LoginRequiredMixin``,
``permission_required``): test_django_auth.py drives them with ``request.user`` made from
the Okta session."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, JsonResponse
from django.views import View

from okta_session_mw.integrations.django import get_okta_session


def _describe(user: Any) -> dict[str, Any]:
    return {"username": user.get_username(), "authenticated": user.is_authenticated}


@login_required
def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_describe(request.user))


def who(request: HttpRequest) -> JsonResponse:
    """Public: whoever ``request.user`` is, anonymous included."""
    return JsonResponse(_describe(request.user))


async def awho(request: HttpRequest) -> JsonResponse:
    """``await request.auser()`` where Django has it (5.0+); ``request.user`` is already
    resolved by the middleware before the view either way."""
    auser = getattr(request, "auser", None)
    user = await auser() if auser is not None else request.user
    return JsonResponse(_describe(user))


class WhoamiView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse(_describe(request.user))


@permission_required("auth.view_user", raise_exception=True)
def user_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"can": True})


def authenticate_session(request: HttpRequest) -> JsonResponse:
    """Whether the backend accepts the request's own session, and a copy of it."""
    own = get_okta_session(request)
    copy = None if own is None else dataclasses.replace(own)
    return JsonResponse(
        {
            "own": authenticate(request, okta_session=own) is not None,
            "copy": authenticate(request, okta_session=copy) is not None,
        }
    )
