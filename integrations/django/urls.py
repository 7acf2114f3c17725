"""``path("okta/", include("okta_session_mw.integrations.django.urls"))``: POST ``okta/logout/``.

Reverse it as ``reverse("okta_session:logout")`` (``{% url 'okta_session:logout' %}``).
"""

from __future__ import annotations

from django.urls import path

from .views import logout_view

app_name = "okta_session"

urlpatterns = [
    path("logout/", logout_view, name="logout"),
]
