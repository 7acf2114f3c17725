"""The process's one ``SessionService``, made from settings at first use.

Every request, view and helper of the Django adapter shares it (one cache, one pooled
``httpx.Client``, one single-flight table per process). Changing ``OKTA_SESSION`` or
``SECRET_KEY`` (``override_settings`` in tests) drops it, so the next use rebuilds it.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from okta_session_mw.engine.service import SessionService

from .settings import SETTING, config_from_settings

__all__ = ["get_service", "reset_service"]

_lock = threading.Lock()
_service: SessionService | None = None


def get_service() -> SessionService:
    """The shared ``SessionService``; ``ImproperlyConfigured`` if the settings are bad."""
    global _service
    service = _service
    if service is None:
        with _lock:
            if _service is None:
                _service = SessionService(config_from_settings())
            service = _service
    return service


def reset_service() -> None:
    """Forget the shared service (its sync client is closed); the next use makes a new one.

    Async clients belong to their event loop: close them first with
    ``await get_service().aclose()`` from that loop if it is still running.
    """
    global _service
    with _lock:
        old, _service = _service, None
    if old is not None:
        old.close()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING, "SECRET_KEY"):
        reset_service()
