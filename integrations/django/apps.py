"""The Django app: add ``"okta_session_mw.integrations.django"`` to ``INSTALLED_APPS``
so ``manage.py check`` reports bad ``OKTA_SESSION`` settings."""

from __future__ import annotations

from django.apps import AppConfig


class OktaSessionAppConfig(AppConfig):
    """Registers the system checks; the app has no models."""

    name = "okta_session_mw.integrations.django"
    label = "okta_session"
    verbose_name = "Okta session"

    def ready(self) -> None:
        from . import auth_checks, checks  # noqa: F401 - importing registers the checks
