"""The Django adapter's system checks, settings mapping, and the example quickstart project
(example_app/django_app) driven through Django's test client against the fake Okta, plus
its real ``manage.py check`` in a subprocess."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django_project
import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django import config_from_settings, reset_service
from okta_session_mw.integrations.django.checks import (
    check_middleware,
    check_okta_session_settings,
    check_org_url_for_deploy,
)
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_API_TOKEN, DEMO_LOGIN, DEMO_PASSWORD

django_project.configure()

ROOT = Path(__file__).resolve().parents[3]  # this file is <repo>/tests/integrations/django/
EXAMPLE = ROOT / "example_app" / "django_app"
ORG = "https://example.okta.com"


def _ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


# -- system checks ------------------------------------------------------------------------


def test_valid_settings_pass(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"ORG_URL": ORG, "CACHE_TTL": "30", "EXEMPT_PATHS": ["/static/"]}
    assert check_okta_session_settings() == []
    assert check_middleware() == []
    assert check_org_url_for_deploy() == []


@pytest.mark.parametrize("value", [None, "https://example.okta.com", ["ORG_URL"]])
def test_missing_or_non_dict_okta_session_is_e001(settings: SettingsWrapper, value: Any) -> None:
    if value is None:
        del settings.OKTA_SESSION
    else:
        settings.OKTA_SESSION = value
    (error,) = check_okta_session_settings()
    assert error.id == "okta_session.E001"
    assert "OKTA_SESSION = {'ORG_URL': 'https://example.okta.com'}" in error.hint


@pytest.mark.parametrize("values", [{}, {"ORG_URL": ""}, {"ORG_URL": None, "CACHE_TTL": 5}])
def test_missing_org_url_is_e002(settings: SettingsWrapper, values: dict[str, Any]) -> None:
    settings.OKTA_SESSION = values
    (error,) = check_okta_session_settings()
    assert error.id == "okta_session.E002"
    assert "ORG_URL" in error.msg
    assert "https://example.okta.com" in error.hint


@pytest.mark.parametrize("url", ["http://example.okta.com", "HTTP://10.0.0.5:8080"])
def test_insecure_org_url_is_e003(settings: SettingsWrapper, url: str) -> None:
    settings.OKTA_SESSION = {"ORG_URL": url}
    (error,) = check_okta_session_settings()
    assert error.id == "okta_session.E003"
    assert "must use https" in error.msg
    assert "https://example.okta.com" in error.hint
    assert "loopback" in error.hint


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example-admin.okta.com", "Admin Console"),
        ("https://example.okta.com/oauth2/default", "authorization server"),
        ("example.okta.com", "must start with https://"),
        ("https://{yourOktaDomain}", "placeholder"),
    ],
)
def test_other_bad_org_url_is_e004(settings: SettingsWrapper, url: str, says: str) -> None:
    settings.OKTA_SESSION = {"ORG_URL": url}
    (error,) = check_okta_session_settings()
    assert error.id == "okta_session.E004"
    assert says in error.msg
    assert "root URL" in error.hint


def test_loopback_http_org_url_passes_but_warns_on_deploy(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"ORG_URL": "http://127.0.0.1:8081"}
    assert check_okta_session_settings() == []
    (warning,) = check_org_url_for_deploy()
    assert warning.id == "okta_session.W002"
    assert "okta_session.W002" in _ids(run_checks(include_deployment_checks=True))
    assert "okta_session.W002" not in _ids(run_checks())


@pytest.mark.parametrize(
    ("extra", "key", "hint"),
    [
        ({"CACHE_TTL": -1}, "CACHE_TTL", "number of seconds"),
        ({"TIMEOUT": "soon"}, "TIMEOUT", "OKTA_SESSION['TIMEOUT'] = 5."),  # the default, not 60
        ({"SECRET_KEY": "short"}, "SECRET_KEY", "16 characters"),
        ({"CACHE_URL": "memcached://x"}, "CACHE_URL", "redis://"),
        ({"ACCEPTED_STATUSES": []}, "ACCEPTED_STATUSES", "MFA_REQUIRED"),
        ({"EXEMPT_PATHS": ["static/"]}, "EXEMPT_PATHS", "start with '/'"),
        ({"ALLOWED_ORIGINS": ["https://a.example/path"]}, "ALLOWED_ORIGINS", "scheme://host"),
        ({"LOGIN_URL": "login"}, "LOGIN_URL", "'/login/'"),
        ({"POST_LOGOUT_REDIRECT": "//evil.example"}, "POST_LOGOUT_REDIRECT", "POST_LOGOUT"),
    ],
)
def test_any_other_bad_value_is_e005_with_a_hint(
    settings: SettingsWrapper, extra: dict[str, Any], key: str, hint: str
) -> None:
    settings.OKTA_SESSION = {"ORG_URL": ORG, **extra}
    (error,) = check_okta_session_settings()
    assert error.id == "okta_session.E005"
    assert error.msg.startswith(f"OKTA_SESSION[{key!r}] ")
    assert hint in error.hint


def test_unknown_keys_are_e006_with_a_suggestion(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"org_url": ORG, "CACHE_TLL": 30}
    errors = check_okta_session_settings()
    assert _ids(errors) == ["okta_session.E006", "okta_session.E006", "okta_session.E002"]
    assert "Did you mean 'ORG_URL'?" in errors[0].hint
    assert "Did you mean 'CACHE_TTL'?" in errors[1].hint


def test_missing_middleware_is_w001(settings: SettingsWrapper) -> None:
    settings.MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
    (warning,) = check_middleware()
    assert warning.id == "okta_session.W001"
    assert "okta_session_mw.integrations.django.OktaSessionMiddleware" in warning.hint


def test_manage_py_check_reports_the_error_and_its_hint(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"ORG_URL": "http://example.okta.com"}
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    text = str(raised.value)
    assert "okta_session.E003" in text
    assert "HINT: Use your org's https URL" in text


def test_checks_are_registered_under_their_tag(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {}
    assert _ids(run_checks(tags=["okta_session"])) == ["okta_session.E002"]


# -- settings mapping -----------------------------------------------------------------------


def test_settings_map_onto_the_config(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {
        "ORG_URL": ORG + "/",
        "CACHE_TTL": "30",
        "COOKIE_NAMES": ["idx"],
        "ACCEPTED_STATUSES": ["ACTIVE", "MFA_REQUIRED"],
    }
    config = config_from_settings()
    assert config.org_url == ORG
    assert config.cache_ttl == 30.0
    assert config.cookie_names == ("idx",)
    assert {s.value for s in config.accepted_statuses} == {"ACTIVE", "MFA_REQUIRED"}


def test_secret_key_is_derived_from_djangos_unless_given(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"ORG_URL": ORG}
    derived = config_from_settings().secret_key
    assert derived == config_from_settings().secret_key  # the same in every worker
    assert settings.SECRET_KEY not in derived
    settings.SECRET_KEY = "another-django-secret-key-another"
    assert config_from_settings().secret_key != derived
    settings.OKTA_SESSION = {"ORG_URL": ORG, "SECRET_KEY": "x" * 20}
    assert config_from_settings().secret_key == "x" * 20


def test_i10_19_derived_secret_key_names_sha256_so_django_6_1_does_not_warn(
    settings: SettingsWrapper,
) -> None:
    """Django 6.1 warns (an error here) when ``salted_hmac`` is left to its SHA-1 default;
    the key is HMAC-SHA256 under Django's salted-key scheme, computed here without Django,
    so the test pins the algorithm on every Django version the suite runs on."""
    settings.OKTA_SESSION = {"ORG_URL": ORG}
    salt = "okta_session_mw.integrations.django"
    key = hashlib.sha256((salt + settings.SECRET_KEY).encode()).digest()
    expected = hmac.new(key, b"secret_key", hashlib.sha256).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert config_from_settings().secret_key == expected


def test_redis_cache_needs_no_extra_secret_under_django(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"ORG_URL": ORG, "CACHE_URL": "redis://127.0.0.1:6379/0"}
    assert check_okta_session_settings() == []


# -- the example project ------------------------------------------------------------------


@pytest.fixture
def example_site(
    settings: SettingsWrapper, fake_okta: FakeOkta, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeOkta]:
    """The quickstart's own urls, views, templates and middleware, on the fake Okta."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    from mysite import settings as site

    settings.ROOT_URLCONF = site.ROOT_URLCONF
    settings.MIDDLEWARE = site.MIDDLEWARE
    settings.TEMPLATES = site.TEMPLATES
    settings.OKTA_SESSION = {
        **site.OKTA_SESSION,
        "ORG_URL": fake_okta.base_url,
        "API_TOKEN": DEMO_API_TOKEN,
    }
    yield fake_okta
    reset_service()


def test_example_project_sign_in_profile_api_and_sign_out(example_site: FakeOkta) -> None:
    client = Client()
    html = {"Accept": "text/html"}
    assert "Not signed in" in client.get("/").content.decode()
    assert example_site.calls == []  # no Okta cookie: nothing asked

    to_login = client.get("/profile/", headers=html)
    assert to_login.status_code == 303
    assert to_login["Location"] == "/login/?next=%2Fprofile%2F"
    assert client.get("/api/me", headers={"Accept": "application/json"}).status_code == 401

    bad = client.post("/login/", {"username": DEMO_LOGIN, "password": "wrong", "next": "/x"})
    assert bad.status_code == 401
    assert "Sign-in failed" in bad.content.decode()
    signed_in = client.post(
        "/login/?next=/profile/", {"username": DEMO_LOGIN, "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 303
    assert signed_in["Location"] == "/profile/"
    assert signed_in.cookies["sid"]["httponly"]

    profile = client.get("/profile/", headers=html).content.decode()
    assert f"<h1>{DEMO_LOGIN}</h1>" in profile
    me = client.get("/api/me").json()
    assert me["login"] == DEMO_LOGIN
    assert me["status"] == "ACTIVE"

    home = client.get("/").content.decode()
    assert f'<strong id="login">{DEMO_LOGIN}</strong>' in home
    token = home.split('name="csrf_token" value="')[1].split('"')[0]
    # a browser that sends no Origin: the form's signed token lets it sign out
    signed_out = client.post("/okta/logout/", {"csrf_token": token}, headers=html)
    assert signed_out.status_code == 303
    assert signed_out["Location"] == "/"
    assert example_site.sessions == []
    assert client.get("/profile/", headers=html).status_code == 303


def test_example_project_refuses_an_open_redirect_after_sign_in(example_site: FakeOkta) -> None:
    response = Client().post(
        "/login/?next=https://evil.example/",
        {"username": DEMO_LOGIN, "password": DEMO_PASSWORD},
    )
    assert response["Location"] == "/"


def _manage(*args: str, org_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OKTA_", "DJANGO_"))}
    if org_url is not None:
        env["OKTA_ORG_URL"] = org_url
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_example_project_manage_py_check_passes_when_configured() -> None:
    result = _manage("check", org_url=ORG)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_example_project_manage_py_check_reports_a_missing_org_url() -> None:
    result = _manage("check", org_url=None)
    assert result.returncode == 1
    assert "okta_session.E002" in result.stderr
    assert "HINT: Set OKTA_SESSION['ORG_URL'] to your Okta org" in result.stderr


def test_i10_12_w002_does_not_echo_credentials(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"ORG_URL": "http://ann:hunter2-secret@127.0.0.1:8081"}
    (warning,) = check_org_url_for_deploy()
    assert warning.id == "okta_session.W002"
    assert "hunter2-secret" not in warning.msg + str(warning.hint)
    assert "127.0.0.1:8081" in warning.msg
    for message in check_okta_session_settings():
        assert "hunter2-secret" not in message.msg + str(message.hint)
