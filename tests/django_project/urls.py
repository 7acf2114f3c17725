"""URLs for the Django tests."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from okta_session_mw.integrations.django import aevent_hook_view, alogout_view

from . import auth_views, views

urlpatterns = [
    path("public/", views.public),
    path("untouched/", views.untouched),
    path("protected/", views.protected),
    path("café/", views.protected),  # a path with a non-ASCII character
    path("mfa-allowed/", views.mfa_allowed),
    path("aprotected/", views.aprotected),
    path("apublic/", views.apublic),
    path("async-sync-read/", views.async_sync_read),
    path("mixin/", views.MixinView.as_view()),
    path("amixin/", views.AsyncMixinView.as_view()),
    path("login/", views.login),
    path("alogin/", views.alogin),
    path("header-login/", views.header_login),
    path("aheader-login/", views.aheader_login),
    path("logout-form/", views.logout_form),
    path("change/", views.change),
    path("alogout/", alogout_view),
    path("bye/", alogout_view, {"redirect_to": "/see-you/"}),
    path("aevent-hook", aevent_hook_view),
    path("okta/", include("okta_session_mw.integrations.django.urls")),
    path("whoami/", auth_views.whoami),  # request.user from the Okta session: auth_views.py
    path("who/", auth_views.who),
    path("awho/", auth_views.awho),
    path("whoami-mixin/", auth_views.WhoamiView.as_view()),
    path("users/", auth_views.user_list),
    path("authenticate/", auth_views.authenticate_session),
    path("admin/", admin.site.urls),
]
