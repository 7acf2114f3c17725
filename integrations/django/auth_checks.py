"""System checks for ``request.user`` from the Okta session (``manage.py check``).

They speak only when the project uses ``OktaSessionAuthMiddleware`` or
``OktaSessionBackend``: E010-E013 the middleware's order and the backend's place in
``AUTHENTICATION_BACKENDS``, W010 the backend listed with no middleware to use it, E014
a ``CREATE_USERS`` that is not a bool. Entries are matched by what they import, so a
subclass counts as the class it extends; without ``django.contrib.auth`` installed (our
auth classes import its models) only by their dotted path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from .checks import MIDDLEWARE_PATH, TAG
from .settings import CREATE_USERS, adapter_setting

__all__ = ["check_auth_backend", "check_auth_middleware_order", "check_create_users"]

AUTH_MIDDLEWARE_PATH = "okta_session_mw.integrations.django.OktaSessionAuthMiddleware"
BACKEND_PATH = "okta_session_mw.integrations.django.OktaSessionBackend"
_SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
_AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
_ORDER = (
    f"MIDDLEWARE = [..., {_SESSIONS!r}, ..., {_AUTHENTICATION!r}, {MIDDLEWARE_PATH!r}, "
    f"{AUTH_MIDDLEWARE_PATH!r}, ...]"
)


def _first_index(entries: Sequence[str], wanted: str) -> int | None:
    """Where ``wanted`` (or a subclass of it) first is in ``entries``."""
    if wanted in entries or not apps.is_installed("django.contrib.auth"):
        return entries.index(wanted) if wanted in entries else None
    target = import_string(wanted)
    for index, entry in enumerate(entries):
        try:
            found = import_string(entry)
        except ImportError:  # Django reports entries that do not import
            continue
        if isinstance(found, type) and issubclass(found, target):
            return index
    return None


def _order_error(needed: str, why: str, check_id: str) -> CheckMessage:
    return Error(
        f"OktaSessionAuthMiddleware needs {needed} before it in MIDDLEWARE: {why}.",
        hint=f"Order MIDDLEWARE so: {_ORDER}.",
        id=check_id,
    )


@register(TAG)
def check_auth_middleware_order(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E010 ``SessionMiddleware``, E011 ``AuthenticationMiddleware``, E012
    ``OktaSessionMiddleware`` missing or after ``OktaSessionAuthMiddleware``."""
    middleware = list(getattr(settings, "MIDDLEWARE", ()))
    ours = _first_index(middleware, AUTH_MIDDLEWARE_PATH)
    if ours is None:
        return []
    needs = (
        (_SESSIONS, "the Django login lives in the Django session", "okta_session.E010"),
        (_AUTHENTICATION, "it sets the request.user this middleware changes", "okta_session.E011"),
        (MIDDLEWARE_PATH, "it verifies the Okta session followed here", "okta_session.E012"),
    )
    messages = []
    for path, why, check_id in needs:
        index = _first_index(middleware, path)
        if index is None or index > ours:
            messages.append(_order_error(path.rsplit(".", 1)[1], why, check_id))
    return messages


@register(TAG)
def check_auth_backend(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E013 the middleware without the backend; W010 the backend without the middleware."""
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", ()))
    has_backend = _first_index(backends, BACKEND_PATH) is not None
    has_middleware = _first_index(list(getattr(settings, "MIDDLEWARE", ())), AUTH_MIDDLEWARE_PATH)
    if has_middleware is not None and not has_backend:
        return [
            Error(
                "OktaSessionAuthMiddleware is in MIDDLEWARE but OktaSessionBackend is not in "
                "AUTHENTICATION_BACKENDS: no Okta session can log anyone in.",
                hint=f"Add {BACKEND_PATH!r} to AUTHENTICATION_BACKENDS (keep "
                "'django.contrib.auth.backends.ModelBackend' there for password logins).",
                id="okta_session.E013",
            )
        ]
    if has_backend and has_middleware is None:
        return [
            Warning(
                "OktaSessionBackend is in AUTHENTICATION_BACKENDS but OktaSessionAuthMiddleware "
                "is not in MIDDLEWARE: Django logins do not follow the Okta session.",
                hint=f"Add {AUTH_MIDDLEWARE_PATH!r} to MIDDLEWARE after "
                "AuthenticationMiddleware and OktaSessionMiddleware.",
                id="okta_session.W010",
            )
        ]
    return []


@register(TAG)
def check_create_users(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E014: ``CREATE_USERS`` is read as ``is True``; another value would mean False."""
    value = adapter_setting(CREATE_USERS, False)
    if isinstance(value, bool):
        return []
    return [
        Error(
            f"OKTA_SESSION['CREATE_USERS'] must be True or False, not {type(value).__name__}.",
            hint="Set OKTA_SESSION['CREATE_USERS'] = True to create a Django user for an Okta "
            "login seen for the first time, or leave it out (False: only existing users).",
            id="okta_session.E014",
        )
    ]
