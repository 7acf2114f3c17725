"""System checks (``manage.py check``): bad ``OKTA_SESSION`` settings, before any request.

Each message names the setting and the hint spells out the fix. The checks build the
config exactly as the running app will (``settings.build_config``), so whatever the
app would refuse at start-up is reported here first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import Resolver404, resolve

from okta_session_mw.config import SETTINGS, OktaSessionConfig
from okta_session_mw.errors import ConfigError
from okta_session_mw.okta.org_url import masked_url

from .event_hook import EVENT_HOOK_VIEW_MARK
from .settings import ADAPTER_KEYS, SETTING, build_config, error_message, setting_key

__all__ = [
    "check_event_hook_path",
    "check_middleware",
    "check_okta_session_settings",
    "check_org_url_for_deploy",
]

MIDDLEWARE_PATH = "okta_session_mw.integrations.django.OktaSessionMiddleware"
_EXAMPLE_ORG = "https://example.okta.com"
_KNOWN_KEYS = frozenset(name.upper() for name in SETTINGS) | ADAPTER_KEYS
_DEFAULTS = {f.name.upper(): f.default for f in dataclasses.fields(OktaSessionConfig)}
_SECONDS_EXAMPLES = {
    key: _DEFAULTS[key]
    for key, kind in ((name.upper(), kind) for name, kind in SETTINGS.items())
    if kind.unit == "seconds"
}
"""The settings in seconds (the config's table says which), each with its default as the
hint's example, so the hint never suggests a harmful value."""
_HINTS = {
    "SECRET_KEY": (
        "Set OKTA_SESSION['SECRET_KEY'] to a random string of 16 characters or more, the "
        "same for every worker (python -c 'import secrets; print(secrets.token_urlsafe(32))'),"
        " or leave it out to derive one from Django's SECRET_KEY."
    ),
    "CACHE_URL": (
        "Use redis://host:6379/0, rediss://host:6380/0, unix:///path/redis.sock, "
        "redis+cluster://host:7000,host:7001 or redis+sentinel://host:26379/mymaster, "
        "or remove OKTA_SESSION['CACHE_URL'] to use the in-process cache."
    ),
    "ACCEPTED_STATUSES": (
        "List Okta session statuses, e.g. ['ACTIVE'] or ['ACTIVE', 'MFA_REQUIRED']."
    ),
    "COOKIE_NAMES": "List Okta's cookie names, e.g. ['sid', 'idx'] (the default).",
    "EXEMPT_PATHS": "List path prefixes that start with '/', e.g. ['/static/', '/healthz'].",
    "ALLOWED_ORIGINS": "List origins as scheme://host[:port] only, e.g. ['https://app.example.com'].",
    "LOGIN_URL": "Use a path such as '/login/' or an absolute https:// URL.",
}

TAG = "okta_session"
"""``manage.py check --tag okta_session`` runs only these checks."""


def _org_url_error(values: Mapping[str, Any], error: ConfigError) -> CheckMessage:
    url = values.get("ORG_URL")
    if isinstance(url, str) and urlsplit(url.strip()).scheme.lower() == "http":
        return Error(
            f"OKTA_SESSION['ORG_URL'] is not secure: {error_message(error)}.",
            hint=(
                f"Use your org's https URL, e.g. {_EXAMPLE_ORG!r}. Plain http is accepted only "
                "for a loopback host (http://127.0.0.1:PORT), such as the fake Okta in tests."
            ),
            id="okta_session.E003",
        )
    return Error(
        f"OKTA_SESSION['ORG_URL'] is invalid: {error_message(error)}.",
        hint=f"Set OKTA_SESSION['ORG_URL'] to your Okta org's root URL, e.g. {_EXAMPLE_ORG!r}.",
        id="okta_session.E004",
    )


def _field_error(error: ConfigError) -> CheckMessage:
    key = setting_key(error)
    if key in _SECONDS_EXAMPLES:
        example = _SECONDS_EXAMPLES[key]
        shown = f"{example:g}" if isinstance(example, float) else 60
        hint = f"Give a number of seconds, e.g. OKTA_SESSION[{key!r}] = {shown}."
    else:
        hint = _HINTS.get(key, f"Change OKTA_SESSION[{key!r}] in your settings.")
    return Error(
        f"OKTA_SESSION[{key!r}] {error_message(error)}.", hint=hint, id="okta_session.E005"
    )


def _unknown_key_error(key: object) -> CheckMessage:
    close = get_close_matches(str(key).upper(), sorted(_KNOWN_KEYS), n=1)
    guess = f"Did you mean {close[0]!r}? " if close else ""
    return Error(
        f"OKTA_SESSION has an unknown key {key!r}.",
        hint=f"{guess}Keys are the config's field names in upper case: "
        + ", ".join(sorted(_KNOWN_KEYS))
        + ".",
        id="okta_session.E006",
    )


@register(TAG)
def check_okta_session_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E001 no ``OKTA_SESSION`` dict; E002 no ``ORG_URL``; E003 an http org URL that is
    not loopback; E004 another bad ``ORG_URL``; E005 any other bad value; E006 a key
    that names no setting (a typo would otherwise be refused only at start-up)."""
    values = getattr(settings, SETTING, None)
    if not isinstance(values, Mapping):
        found = "is not set" if values is None else f"must be a dict, not {type(values).__name__}"
        return [
            Error(
                f"settings.OKTA_SESSION {found}.",
                hint=f"Add OKTA_SESSION = {{'ORG_URL': {_EXAMPLE_ORG!r}}} to your settings.",
                id="okta_session.E001",
            )
        ]
    messages = [_unknown_key_error(key) for key in values if key not in _KNOWN_KEYS]
    if not values.get("ORG_URL"):
        messages.append(
            Error(
                "OKTA_SESSION['ORG_URL'] is missing: the middleware cannot reach Okta.",
                hint=(
                    f"Set OKTA_SESSION['ORG_URL'] to your Okta org, e.g. {_EXAMPLE_ORG!r} "
                    "(for example from an environment variable: os.environ['OKTA_ORG_URL'])."
                ),
                id="okta_session.E002",
            )
        )
    if messages:
        return messages
    try:
        build_config(values)
    except ConfigError as exc:
        if setting_key(exc) == "ORG_URL":
            return [_org_url_error(values, exc)]
        return [_field_error(exc)]
    return []


@register(TAG)
def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W001: the settings are there but the middleware is not, so no view sees a session."""
    if MIDDLEWARE_PATH in getattr(settings, "MIDDLEWARE", ()):
        return []
    return [
        Warning(
            "OktaSessionMiddleware is not in MIDDLEWARE: request.okta_session is never set and "
            "@okta_session_required views fail.",
            hint=f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE.",
            id="okta_session.W001",
        )
    ]


@register(TAG, Tags.security, deploy=True)
def check_org_url_for_deploy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W002 (``check --deploy``): an http org URL is a loopback fake or proxy, not Okta."""
    values = getattr(settings, SETTING, None)
    url = values.get("ORG_URL") if isinstance(values, Mapping) else None
    if not isinstance(url, str) or urlsplit(url.strip()).scheme.lower() != "http":
        return []
    return [
        Warning(  # masked: an ORG_URL may carry credentials, which no message repeats
            f"OKTA_SESSION['ORG_URL'] is plain http ({masked_url(url.strip())}): a local fake "
            "or proxy, not Okta.",
            hint=f"In production, set OKTA_SESSION['ORG_URL'] to your org's https URL, "
            f"e.g. {_EXAMPLE_ORG!r}.",
            id="okta_session.W002",
        )
    ]


@register(TAG, Tags.urls)
def check_event_hook_path(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W003: ``EVENT_HOOK_SECRETS`` is set, but the URLconf does not send
    ``EVENT_HOOK_PATH`` (the URL Okta is given) to an event hook view: Okta's calls
    there would be answered 404 and no pushed end would be seen."""
    values = getattr(settings, SETTING, None)
    try:
        config = build_config(values) if isinstance(values, Mapping) else None
    except ConfigError:  # check_okta_session_settings reports it
        return []
    if config is None or not config.event_hook_secrets:
        return []
    path = config.event_hook_path
    try:
        view = resolve(path).func
    except Resolver404:
        view = None
    except Exception:  # a broken URLconf: Django's own URL checks report it
        return []
    if getattr(view, EVENT_HOOK_VIEW_MARK, False) is True:
        return []
    return [
        Warning(
            f"OKTA_SESSION['EVENT_HOOK_PATH'] ({path}) is not routed to the event hook view: "
            "Okta's deliveries would not end any session.",
            hint="Add path('okta/', include('okta_session_mw.integrations.django.urls')) to "
            "your URLconf (it serves /okta/event-hook, the default), or route your "
            "EVENT_HOOK_PATH to event_hook_view (aevent_hook_view under ASGI).",
            id="okta_session.W003",
        )
    ]
