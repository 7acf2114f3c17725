"""Keep Okta secrets off Django's error reports: the DEBUG page and the error e-mails.

Django's reports show every frame's local variables, the request's cookies and the
settings. Its ``SafeExceptionReporterFilter`` hides settings whose names look secret
(``API_TOKEN``) but, by design, cleanses frame variables only when ``DEBUG`` is off,
and shows the ``sid``/``idx`` cookies (their names look harmless). Yet an Okta error a
view lets through (a used session token on sign-in) has our frames in its traceback,
and theirs hold the browser's cookie, session ids, tokens and passwords as plain
strings; so do the frames of the HTTP stack under them (httpx, httpcore, h11).

The middleware therefore gives each request a filter (Django's own per-request hook,
``request.exception_reporter_filter``) made from the project's configured filter
class, which also, DEBUG or not: replaces every local of those libraries' frames with
Django's substitute, hides the configured Okta cookies and the event hook's secret
header (``EVENT_HOOK_HEADER``, whatever its name: Django's own filter hides only
names that look secret, such as ``Authorization``), and masks the password of any URL
in the settings (``OKTA_SESSION["CACHE_URL"]``).
"""

from __future__ import annotations

import functools
from collections.abc import ItemsView, Iterable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.module_loading import import_string
from django.views.debug import SafeExceptionReporterFilter

from okta_session_mw.engine.service import SessionService
from okta_session_mw.okta.org_url import masked_url

__all__ = ["reporter_filter", "service_filter"]

_SECRET_HOLDING_MODULES = ("okta_session_mw", "httpx", "httpcore", "h11")
"""Packages whose frames hold the cookies, ids and tokens of a call to Okta."""


class _OktaSecretsFilter(SafeExceptionReporterFilter):
    """Mixed in before the project's filter class (see ``reporter_filter``)."""

    okta_cookie_names: frozenset[str] = frozenset()
    okta_meta_keys: frozenset[str] = frozenset()
    """``request.META`` keys of the secret headers (``HTTP_AUTHORIZATION``)."""

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: FrameType
    ) -> ItemsView[str, Any]:
        module = str(tb_frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in _SECRET_HOLDING_MODULES:
            return dict.fromkeys(tb_frame.f_locals, self.cleansed_substitute).items()
        return super().get_traceback_frame_variables(request, tb_frame)

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        cookies: dict[str, Any] = super().get_safe_cookies(request)
        return {
            name: self.cleansed_substitute if name in self.okta_cookie_names else value
            for name, value in cookies.items()
        }

    def get_safe_request_meta(self, request: HttpRequest) -> dict[str, Any]:
        meta: dict[str, Any] = super().get_safe_request_meta(request)
        return {
            key: self.cleansed_substitute if key in self.okta_meta_keys else value
            for key, value in meta.items()
        }

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str) and "://" in cleansed:  # userinfo or ?password=
            return masked_url(cleansed)
        return cleansed


def reporter_filter(
    cookie_names: Iterable[str], header_names: Iterable[str] = ()
) -> SafeExceptionReporterFilter | None:
    """The filter for a request: the project's filter, with Okta's secrets hidden too
    (the cookies ``cookie_names`` and the request headers ``header_names``).

    None when the project's filter is not a ``SafeExceptionReporterFilter`` (a filter
    of its own design is left alone). Filters keep no state: one serves every request.
    """
    meta_keys = tuple(_meta_key(name) for name in header_names)
    return _shared_filter(
        settings.DEFAULT_EXCEPTION_REPORTER_FILTER, tuple(cookie_names), meta_keys
    )


def _meta_key(header: str) -> str:
    """Where Django's ``request.META`` keeps a header, under WSGI and ASGI alike."""
    return "HTTP_" + header.upper().replace("-", "_")


@functools.lru_cache(maxsize=8)
def _shared_filter(
    class_path: str, cookie_names: tuple[str, ...], meta_keys: tuple[str, ...] = ()
) -> SafeExceptionReporterFilter | None:
    base = import_string(class_path)
    if not (isinstance(base, type) and issubclass(base, SafeExceptionReporterFilter)):
        return None
    kind: type[_OktaSecretsFilter] = type(f"Okta{base.__name__}", (_OktaSecretsFilter, base), {})
    shared = kind()
    shared.okta_cookie_names = frozenset(cookie_names)
    shared.okta_meta_keys = frozenset(meta_keys)
    return shared


_last: tuple[object, SafeExceptionReporterFilter | None] = (None, None)
"""The service ``service_filter`` last answered for, and its filter."""


def service_filter(service: SessionService) -> SafeExceptionReporterFilter | None:
    """``reporter_filter`` for ``service``'s cookies and event hook header, found once
    per service: what the middleware installs on each request, for the price of one
    identity test."""
    global _last
    owner, found = _last
    if owner is not service:
        config = service.config
        found = reporter_filter(config.cookie_names, (config.event_hook_header,))
        _last = (service, found)
    return found


@receiver(setting_changed)
def _filter_setting_changed(*, setting: str, **kwargs: Any) -> None:
    global _last
    if setting == "DEFAULT_EXCEPTION_REPORTER_FILTER":
        _last = (None, None)
