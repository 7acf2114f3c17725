"""``request.user`` from the Okta session (issue 15.1): ``OktaSessionBackend`` and
``OktaSessionAuthMiddleware`` against the fake Okta over real HTTP, through Django's test
clients (WSGI and ASGI) and a real threaded server: ``login_required``,
``LoginRequiredMixin``, permissions and the admin unchanged; the Django login ends with
the Okta session; the system checks of the middleware's order.
"""

from __future__ import annotations

import time
from typing import Any

import django_project
import httpx
import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import AsyncClient, Client
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django import get_service
from okta_session_mw.integrations.django.auth_checks import (
    check_auth_backend,
    check_auth_middleware_order,
    check_create_users,
)
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN
from tests.support.django_requests import HTML, SAME_ORIGIN

django_project.configure()

pytestmark = pytest.mark.django_db

OURS = "okta_session_mw.integrations.django."
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    OURS + "OktaSessionMiddleware",
    OURS + "OktaSessionAuthMiddleware",
]
BACKENDS = [OURS + "OktaSessionBackend", "django.contrib.auth.backends.ModelBackend"]
OTHER_LOGIN = "grace@example.com"
NAMING_BACKEND = "django_project.auth_backends.NamingBackend"
TTL_PASSED = 0.01
"""Seconds to wait for a 1 ms ``CACHE_TTL`` to be over, so the next request asks Okta."""


@pytest.fixture
def site(okta: FakeOkta, settings: SettingsWrapper) -> FakeOkta:
    """The test project with Django's auth following the Okta session."""
    settings.MIDDLEWARE = MIDDLEWARE
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    settings.LOGIN_URL = "/accounts/login/"
    okta.add_user(OTHER_LOGIN, "pw")
    return okta


def _okta_settings(settings: SettingsWrapper, **values: Any) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, **values}


def _user(login: str = DEMO_LOGIN, **fields: Any) -> Any:
    return get_user_model().objects.create_user(username=login, **fields)


def _browser(okta: FakeOkta, login: str = DEMO_LOGIN) -> tuple[Client, str]:
    """A test client holding a new Okta session's ``sid`` cookie, and that session's id."""
    client, sid = Client(), okta.create_session(login)
    client.cookies["sid"] = sid
    return client, sid


def _who(client: Client) -> Any:
    return client.get("/who/").json()


def _store(key: str) -> Any:
    from django.contrib.sessions.backends.db import SessionStore  # Django's models: once set up

    return SessionStore(key)


def _django_login(client: Client) -> Any:
    """The user id the Django session store holds for the client's session cookie."""
    cookie = client.cookies.get("sessionid")
    return None if cookie is None else _store(cookie.value).load().get(SESSION_KEY)


# -- login_required, the mixin, permissions, the admin -------------------------------------


def test_i15_01_login_required_follows_the_okta_session(site: FakeOkta) -> None:
    user = _user()
    anonymous = Client().get("/whoami/", headers=HTML)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/accounts/login/?next=/whoami/"
    client, _ = _browser(site)
    assert client.get("/whoami/").json() == {"username": DEMO_LOGIN, "authenticated": True}
    assert client.get("/whoami-mixin/").json()["username"] == DEMO_LOGIN
    assert _django_login(client) == str(user.pk)  # a real Django login, in the session
    assert len(site.calls_to("GET", "/api/v1/sessions/me")) == 1  # the cache serves the rest


def test_i15_02_unknown_logins_are_created_only_when_create_users_allows(
    site: FakeOkta, settings: SettingsWrapper
) -> None:
    client, _ = _browser(site)
    assert client.get("/whoami/").status_code == 302  # no such Django user, none created
    assert not get_user_model().objects.exists()
    _okta_settings(settings, CREATE_USERS=True)
    client, _ = _browser(site)
    assert client.get("/whoami/").json()["username"] == DEMO_LOGIN
    (user,) = get_user_model().objects.all()
    assert user.get_username() == DEMO_LOGIN
    assert not user.has_usable_password()


def test_i15_03_configure_user_sets_fields_at_each_login(
    site: FakeOkta, settings: SettingsWrapper
) -> None:
    from django_project.auth_backends import NamingBackend

    settings.AUTHENTICATION_BACKENDS = [NAMING_BACKEND]
    NamingBackend.seen.clear()
    for _ in range(2):  # two browsers: two Django logins, the first one creates
        client, _ = _browser(site)
        assert client.get("/whoami/").status_code == 200
        assert client.get("/whoami/").status_code == 200  # no new login: no hook call
    assert NamingBackend.seen == [(DEMO_LOGIN, True), (DEMO_LOGIN, False)]
    assert get_user_model().objects.get().email == DEMO_LOGIN


def test_i15_04_permissions_and_the_admin_work_unchanged(site: FakeOkta) -> None:
    user = _user()
    client, _ = _browser(site)
    assert client.get("/users/").status_code == 403
    assert client.get("/admin/").status_code == 302  # not staff: the admin's own login
    permission = apps.get_model("auth", "Permission")
    user.user_permissions.add(permission.objects.get(codename="view_user"))
    user.is_staff = True
    user.save()
    assert client.get("/users/").json() == {"can": True}
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert b"auth/user/" in admin.content  # the app list the permission shows


# -- the Django login ends with the Okta session --------------------------------------------


def test_i15_05_okta_logout_revoke_and_a_missing_cookie_end_the_django_login(
    site: FakeOkta,
) -> None:
    user = _user()
    client, sid = _browser(site)
    assert _who(client)["authenticated"]
    forged = client.post("/okta/logout/", headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert _django_login(client) == str(user.pk)  # a refused logout ends no login
    out = client.post("/okta/logout/", headers=SAME_ORIGIN)
    assert out.status_code == 204  # an API-style client: no redirect
    assert _who(client) == {"username": "", "authenticated": False}
    assert _django_login(client) is None  # the Django session flushed, not just hidden

    client, sid = _browser(site)
    assert _who(client)["authenticated"]
    assert get_service().revoke(sid)  # an admin revoke
    assert client.get("/whoami/").status_code == 302
    assert _django_login(client) is None

    client, sid = _browser(site)
    assert _who(client)["authenticated"]
    del client.cookies["sid"]  # the Okta cookie is gone (expired in the browser)
    assert not _who(client)["authenticated"]
    assert _django_login(client) is None


def test_i15_06_okta_expiry_ends_the_django_login(
    site: FakeOkta, settings: SettingsWrapper
) -> None:
    _okta_settings(settings, CACHE_TTL=0.001, REFRESH_THRESHOLD=0)
    _user()
    client, _ = _browser(site)
    assert _who(client)["authenticated"]
    site.advance(3 * 3600)  # past the fake's idle timeout: Okta answers 404
    time.sleep(TTL_PASSED)  # the cached answer is older than its 1 ms CACHE_TTL
    assert not _who(client)["authenticated"]
    assert _django_login(client) is None


def test_i15_07_login_cycles_the_django_session_key(site: FakeOkta) -> None:
    _user()
    client = Client()
    anonymous = client.session  # a visitor's session from before the login (a cart, say)
    anonymous["cart"] = "kept"
    anonymous.save()
    before = client.cookies["sessionid"].value
    client.cookies["sid"] = site.create_session(DEMO_LOGIN)
    assert _who(client)["authenticated"]
    after = client.cookies["sessionid"].value
    assert after != before  # no session fixation
    assert not _store(before).exists(before)  # the old key is gone for good
    assert client.session["cart"] == "kept"  # cycled, not flushed


def test_i15_08_a_browser_moving_to_another_okta_session_never_keeps_the_previous_user(
    site: FakeOkta,
) -> None:
    _user()
    _user(OTHER_LOGIN)
    client, _ = _browser(site)
    assert _who(client)["username"] == DEMO_LOGIN
    first_key = client.cookies["sessionid"].value
    client.cookies["sid"] = site.create_session(OTHER_LOGIN)  # someone else signs in at Okta
    assert _who(client)["username"] == OTHER_LOGIN
    second_key = client.cookies["sessionid"].value
    assert second_key != first_key
    client.cookies["sid"] = site.create_session(OTHER_LOGIN)  # same login, a new Okta session
    assert _who(client)["username"] == OTHER_LOGIN
    assert client.cookies["sessionid"].value != second_key  # a new Django login too
    client.cookies["sid"] = "not-a-session"  # a cookie Okta does not know
    assert not _who(client)["authenticated"]


def test_i15_09_an_inactive_user_is_refused(site: FakeOkta) -> None:
    user = _user(is_active=False)
    client, _ = _browser(site)
    assert client.get("/whoami/").status_code == 302
    assert _django_login(client) is None
    user.is_active = True
    user.save()
    assert client.get("/whoami/").status_code == 200
    user.is_active = False  # deactivated while logged in
    user.save()
    assert client.get("/whoami/").status_code == 302


def test_i15_10_an_okta_session_not_accepted_logs_no_one_in(site: FakeOkta) -> None:
    _user()
    client = Client()
    client.cookies["sid"] = site.create_session(DEMO_LOGIN, status="MFA_REQUIRED")
    assert not _who(client)["authenticated"]
    assert _django_login(client) is None


def test_i15_11_a_made_up_session_logs_no_one_in_and_password_logins_are_left_alone(
    site: FakeOkta,
) -> None:
    _user(password="pw", is_staff=True, is_superuser=True)
    client, _ = _browser(site)
    # a copy of the request's session (the same fields) is not the one verified for it
    assert client.get("/authenticate/").json() == {"own": True, "copy": False}
    password = Client()
    assert password.login(username=DEMO_LOGIN, password="pw")  # ModelBackend, no Okta cookie
    assert _who(password)["authenticated"]  # not ours: never logged out by the middleware
    assert password.get("/admin/").status_code == 200
    _user(OTHER_LOGIN)
    password.cookies["sid"] = site.create_session(OTHER_LOGIN)  # nor replaced by an Okta login
    site.clear_calls()
    assert _who(password)["username"] == DEMO_LOGIN
    assert site.calls == []  # nor looked up at Okta for it


# -- Okta outages ---------------------------------------------------------------------------


def test_i15_12_a_stale_session_keeps_its_user_but_logs_no_one_in(
    site: FakeOkta, settings: SettingsWrapper
) -> None:
    _okta_settings(settings, CACHE_TTL=0.001, STALE_IF_ERROR=300, REFRESH_THRESHOLD=0)
    _user()
    client, sid = _browser(site)
    assert _who(client)["authenticated"]
    site.inject(status=503)  # Okta is down: the cached session is served stale
    time.sleep(TTL_PASSED)  # the cached answer is older than its 1 ms CACHE_TTL
    try:
        assert _who(client)["username"] == DEMO_LOGIN
        assert client.get("/whoami/").status_code == 200
        fresh = Client()  # another browser with that cookie and no Django login yet
        fresh.cookies["sid"] = sid
        assert not _who(fresh)["authenticated"]
        assert _django_login(fresh) is None
    finally:
        site.clear_faults()


def test_i15_13_an_outage_with_nothing_cached_hides_the_user_but_ends_no_login(
    site: FakeOkta, settings: SettingsWrapper
) -> None:
    _okta_settings(settings, CACHE_TTL=0.001, STALE_IF_ERROR=0, REFRESH_THRESHOLD=0)
    user = _user()
    client, _ = _browser(site)
    assert _who(client)["authenticated"]
    key = client.cookies["sessionid"].value
    site.inject(status=503)
    time.sleep(TTL_PASSED)  # the cached answer is older than its 1 ms CACHE_TTL
    try:
        assert not _who(client)["authenticated"]  # not confirmed: anonymous now
        assert _django_login(client) == str(user.pk)  # but the Django login is kept
        newcomer, _ = _browser(site)
        assert not _who(newcomer)["authenticated"]
        assert _django_login(newcomer) is None
    finally:
        site.clear_faults()
    assert _who(client)["authenticated"]  # Okta is back: the same login, no new one
    assert client.cookies["sessionid"].value == key


# -- ASGI and a real server -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the ORM runs in asgiref's thread, off the test's
async def test_i15_14_asgi_request_user_and_auser_follow_the_okta_session(
    aokta: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.MIDDLEWARE = MIDDLEWARE
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    settings.LOGIN_URL = "/accounts/login/"
    await get_user_model().objects.acreate(username=DEMO_LOGIN)
    client = AsyncClient()
    client.cookies["sid"] = aokta.create_session(DEMO_LOGIN)
    assert (await client.get("/awho/")).json() == {"username": DEMO_LOGIN, "authenticated": True}
    assert (await client.get("/whoami/")).status_code == 200
    del client.cookies["sid"]
    assert (await client.get("/awho/")).json()["authenticated"] is False
    assert (await client.get("/whoami/")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_i15_15_served_app_signs_in_and_out_with_the_okta_session(
    site: FakeOkta, wsgi_server: str
) -> None:
    _user()
    sid = site.create_session(DEMO_LOGIN)
    with httpx.Client(base_url=wsgi_server, cookies={"sid": sid}) as browser:
        assert browser.get("/whoami/").json()["username"] == DEMO_LOGIN
        assert "sessionid" in browser.cookies
        out = browser.post("/okta/logout/", headers={"Origin": wsgi_server})
        assert out.status_code == 204  # an API-style client: no redirect
        redirected = browser.get("/whoami/", headers=HTML)
        assert redirected.status_code == 302
        assert redirected.headers["location"].startswith("/accounts/login/")


# -- system checks --------------------------------------------------------------------------


def _check_ids(*checks: Any) -> list[str]:
    return [message.id for check in checks for message in check()]


def test_i15_16_system_checks_cover_order_backend_and_create_users(
    settings: SettingsWrapper,
) -> None:
    all_checks = (check_auth_middleware_order, check_auth_backend, check_create_users)
    settings.MIDDLEWARE = MIDDLEWARE
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    assert _check_ids(*all_checks) == []
    settings.AUTHENTICATION_BACKENDS = [NAMING_BACKEND]  # a subclass counts
    assert _check_ids(*all_checks) == []
    settings.MIDDLEWARE = [MIDDLEWARE[-1], *MIDDLEWARE[:-1]]  # ours first
    assert _check_ids(check_auth_middleware_order) == [
        "okta_session.E010",
        "okta_session.E011",
        "okta_session.E012",
    ]
    settings.MIDDLEWARE = [m for m in MIDDLEWARE if "AuthenticationMiddleware" not in m]
    (error,) = check_auth_middleware_order()
    assert error.id == "okta_session.E011"
    assert "django.contrib.auth.middleware.AuthenticationMiddleware" in error.hint
    settings.MIDDLEWARE = MIDDLEWARE
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert _check_ids(check_auth_backend) == ["okta_session.E013"]
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    settings.MIDDLEWARE = MIDDLEWARE[:-1]
    assert _check_ids(check_auth_backend) == ["okta_session.W010"]
    assert _check_ids(check_auth_middleware_order) == []  # nothing to order
    settings.OKTA_SESSION = {"ORG_URL": "https://example.okta.com", "CREATE_USERS": "yes"}
    assert _check_ids(check_create_users) == ["okta_session.E014"]


def test_i15_97_a_binding_made_under_a_fallback_key_is_rewritten_and_names_one_okta_session(
    site: FakeOkta, settings: SettingsWrapper
) -> None:
    """A ``SECRET_KEY`` rotation keeps the login and the Django session (as Django keeps
    its own session auth hash): the binding is rewritten under the new key, so retiring
    the fallback ends nothing; and a fallback still binds one Okta session only."""
    from okta_session_mw.integrations.django.auth_middleware import BINDING_SESSION_KEY

    _user()
    client, _ = _browser(site)
    assert _who(client)["authenticated"]
    session = client.session
    session["cart"] = "three books"
    session.save()
    bound = client.session[BINDING_SESSION_KEY]
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "rotated-" + old, [old]
    assert _who(client)["username"] == DEMO_LOGIN
    assert client.session[BINDING_SESSION_KEY] != bound  # rewritten under the new key
    settings.SECRET_KEY_FALLBACKS = []  # the old key retired
    assert _who(client)["username"] == DEMO_LOGIN
    assert client.session["cart"] == "three books"  # the same Django login all along
    key = client.cookies["sessionid"].value
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "again-" + old, [settings.SECRET_KEY]
    client.cookies["sid"] = site.create_session(DEMO_LOGIN)  # a new Okta session, same login
    assert _who(client)["username"] == DEMO_LOGIN
    assert client.cookies["sessionid"].value != key  # logged in afresh
    assert "cart" not in client.session  # auth.logout flushed the previous Django session
