"""Django's own key rotation (``SECRET_KEY_FALLBACKS``) rotates the key derived for us."""

from __future__ import annotations

from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw import SessionService
from okta_session_mw.integrations.django import config_from_settings
from okta_session_mw.web.csrf import CsrfState
from okta_session_mw.web.logout_request import LogoutRequest

ORG = "https://example.okta.com"
COOKIE = "sid=102AbCdEfGhIjKlMnOpQrStUv"


def _allows(service: SessionService, token: str) -> bool:
    request = LogoutRequest(
        method="POST", scheme="https", host="app.example", headers={},
        cookie_header=COOKIE, form_token=token,
    )  # fmt: skip
    return service.csrf_allows(request)


def test_i15_86_djangos_secret_key_fallbacks_keep_tokens_made_before_its_rotation(
    settings: SettingsWrapper,
) -> None:
    settings.OKTA_SESSION = {"ORG_URL": ORG}
    settings.SECRET_KEY = "django-key-before-the-rotation-0123456789"
    settings.SECRET_KEY_FALLBACKS = []
    before = config_from_settings()
    assert len(before.secret_keys) == 1
    settings.SECRET_KEY = "django-key-after-the-rotation-9876543210"
    settings.SECRET_KEY_FALLBACKS = ["django-key-before-the-rotation-0123456789"]
    after = config_from_settings()
    assert after.secret_keys[1:] == before.secret_keys  # the old one, derived the same
    assert after.secret_keys[0] != before.secret_keys[0]
    old_service, new_service = SessionService(before), SessionService(after)
    try:
        token = old_service.csrf_token(COOKIE, CsrfState())
        assert _allows(new_service, token)
        settings.SECRET_KEY_FALLBACKS = []  # the rotation over: the old key is gone
        done = SessionService(config_from_settings())
        assert not _allows(done, token)
        done.close()
    finally:
        old_service.close()
        new_service.close()
