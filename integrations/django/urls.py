"""``path("okta/", include("okta_session_mw.integrations.django.urls"))``: POST ``okta/logout/``
and GET/POST ``okta/event-hook`` (the default ``EVENT_HOOK_PATH``: give Okta that URL).

Reverse them as ``reverse("okta_session:logout")`` (``{% url 'okta_session:logout' %}``)
and ``reverse("okta_session:event_hook")``. The event hook has no trailing slash: Okta
posts to the URL as given, and ``APPEND_SLASH`` cannot redirect a POST.
"""

from __future__ import annotations

from django.urls import path

from .event_hook import event_hook_view
from .views import logout_view

app_name = "okta_session"

urlpatterns = [
    path("logout/", logout_view, name="logout"),
    path("event-hook", event_hook_view, name="event_hook"),
]
