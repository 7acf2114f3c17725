"""URLs of the quickstart: the logout view comes from the library."""

from __future__ import annotations

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("api/me", views.api_me, name="api-me"),
    path("okta/", include("okta_session_mw.integrations.django.urls")),  # POST okta/logout/
]
