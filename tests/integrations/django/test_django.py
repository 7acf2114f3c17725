"""The Django adapter against the fake Okta over real HTTP: WSGI (test client and a real
threaded server), ASGI (``AsyncClient``), logout and CSRF, login, refresh, single flight.

System checks and the example project are in test_django_checks.py.
Django is configured with ``settings.configure`` (tests/django_project), never through
``DJANGO_SETTINGS_MODULE``, so the other test modules are unaffected.
"""

from __future__ import annotations

import asyncio
import threading
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import django_project
import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.test import AsyncClient, Client
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django import (
    OktaSessionMiddleware,
    get_service,
    logout_csrf_token,
    reset_service,
)
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.pytest_plugin import DEMO_API_TOKEN, DEMO_LOGIN
from tests.support.django_requests import API, HTML, ME, REFRESH, SAME_ORIGIN

django_project.configure()


def _cookie(fake: FakeOkta, **create: Any) -> str:
    return fake.cookie_header(fake.create_session(DEMO_LOGIN, **create))


def _gets(fake: FakeOkta) -> int:
    return len(fake.calls_to("GET", ME))


def _dead_org_url() -> str:
    """An http URL on loopback where nothing listens any more."""
    with serve_fake_okta(FakeOkta()) as base_url:
        pass
    return base_url


# -- request.okta_session -------------------------------------------------------------


def test_session_is_attached_from_the_sid_cookie(okta: FakeOkta) -> None:
    cookie = _cookie(okta)
    body = Client().get("/public/", headers={"Cookie": cookie}).json()
    assert body["login"] == DEMO_LOGIN
    assert body["id"] == cookie.removeprefix("sid=")
    assert body["status"] == "ACTIVE"
    assert body["truthy"] is True
    assert _gets(okta) == 1


def test_session_is_attached_from_the_idx_cookie(okta: FakeOkta) -> None:
    session_id = okta.create_session(DEMO_LOGIN)
    body = Client().get("/public/", headers={"Cookie": okta.cookie_header(session_id, "idx")})
    assert body.json()["id"] == session_id


def test_session_is_lazy_no_okta_call_unless_a_view_reads_it(okta: FakeOkta) -> None:
    response = Client().get("/untouched/", headers={"Cookie": _cookie(okta)})
    assert response.status_code == 200
    assert okta.calls == []


@pytest.mark.parametrize("cookie", [None, "theme=dark; sessionid=abc", "sid=", "sid=a b"])
def test_anonymous_without_an_okta_cookie_and_no_okta_call(
    okta: FakeOkta, cookie: str | None
) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    body = Client().get("/public/", headers=headers).json()
    assert body == {"login": None, "truthy": False}
    assert okta.calls == []


def test_unknown_cookie_is_anonymous_and_remembered(okta: FakeOkta) -> None:
    client = Client()
    for _ in range(3):
        assert client.get("/public/", headers={"Cookie": "sid=102unknown"}).json()["login"] is None
    assert _gets(okta) == 1  # the 404 is cached briefly (negative TTL)


def test_only_okta_cookies_are_forwarded(okta: FakeOkta) -> None:
    sid = _cookie(okta)
    headers = {
        "Cookie": f"theme=dark; {sid}; csrftoken=abc; sessionid=xyz",
        "Authorization": "Bearer app-token",
    }
    assert Client().get("/public/", headers=headers).json()["login"] == DEMO_LOGIN
    (call,) = okta.calls
    assert call.cookies == {"sid": sid.removeprefix("sid=")}
    assert call.authorization is None


def test_second_request_is_served_from_the_cache(okta: FakeOkta) -> None:
    cookie, client = _cookie(okta), Client()
    for _ in range(3):
        assert client.get("/public/", headers={"Cookie": cookie}).json()["login"] == DEMO_LOGIN
    assert _gets(okta) == 1


def test_exempt_paths_are_never_looked_up(okta: FakeOkta, settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "EXEMPT_PATHS": ["/public/"]}
    body = Client().get("/public/", headers={"Cookie": _cookie(okta)}).json()
    assert body["login"] is None
    assert okta.calls == []


# -- protected views --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/protected/", "/mixin/", "/aprotected/", "/amixin/"])
def test_protected_view_redirects_a_browser_to_login(okta: FakeOkta, path: str) -> None:
    response = Client().get(path + "?tab=a%2Fb&x=1", headers=HTML)
    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert location.path == "/login/"
    assert parse_qs(location.query) == {"next": [path + "?tab=a%2Fb&x=1"]}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/protected/", "/mixin/", "/aprotected/", "/amixin/"])
def test_protected_view_answers_an_api_client_401(okta: FakeOkta, path: str) -> None:
    response = Client().get(path, headers={**API, "Cookie": "sid=102unknown"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "okta_session_required"
    assert response["WWW-Authenticate"].startswith("OktaSession")


@pytest.mark.parametrize("path", ["/protected/", "/mixin/", "/aprotected/", "/amixin/"])
def test_protected_view_runs_for_an_active_session(okta: FakeOkta, path: str) -> None:
    response = Client().get(path, headers={**HTML, "Cookie": _cookie(okta)})
    assert response.status_code == 200
    assert response.json()["login"] == DEMO_LOGIN
    assert not get_service()._async.loops  # WSGI: async views use the sync client too


def test_okta_down_is_503_not_a_login_redirect(okta: FakeOkta, settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "ORG_URL": _dead_org_url()}
    client, cookie = Client(), _cookie(okta)
    for headers in (HTML, API):
        response = client.get("/protected/", headers={**headers, "Cookie": cookie})
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response.json()["error"] == "okta_unavailable"
    assert client.get("/public/", headers={"Cookie": cookie}).json()["login"] is None


def test_okta_failing_with_500_is_503(okta: FakeOkta) -> None:
    okta.inject(status=500)
    response = Client().get("/protected/", headers={**HTML, "Cookie": _cookie(okta)})
    assert response.status_code == 503


def test_mfa_required_is_visible_but_refused_by_default(okta: FakeOkta) -> None:
    cookie, client = _cookie(okta, status="MFA_REQUIRED"), Client()
    assert client.get("/public/", headers={"Cookie": cookie}).json()["status"] == "MFA_REQUIRED"
    assert client.get("/protected/", headers={**API, "Cookie": cookie}).status_code == 401
    assert client.get("/mixin/", headers={**HTML, "Cookie": cookie}).status_code == 303
    assert client.get("/mfa-allowed/", headers={**API, "Cookie": cookie}).status_code == 200


def test_accepted_statuses_setting_lets_mfa_required_in(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "ACCEPTED_STATUSES": "ACTIVE,MFA_REQUIRED"}
    cookie = _cookie(okta, status="MFA_REQUIRED")
    assert Client().get("/protected/", headers={**API, "Cookie": cookie}).status_code == 200


def test_protected_view_without_the_middleware_says_how_to_fix_it(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.MIDDLEWARE = []
    with pytest.raises(
        ImproperlyConfigured, match=r"add .*OktaSessionMiddleware.* to settings.MIDDLEWARE"
    ):
        Client().get("/protected/")


def test_bad_settings_fail_when_the_middleware_starts(settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {"ORG_URL": "http://example.okta.com"}
    with pytest.raises(ImproperlyConfigured, match=r"OKTA_SESSION\['ORG_URL'\] must use https"):
        OktaSessionMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]


# -- refresh and single flight ------------------------------------------------------------


def test_session_near_expiry_is_refreshed_once(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    # the request's own refresh (its answer shows the new expiresAt): refresh-ahead off
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "REFRESH_AHEAD": 0}
    okta.advance(-7000)  # created 7000 s ago with a 2 h idle timeout: 200 s left (< 300)
    cookie = _cookie(okta)
    okta.advance(7000)
    client = Client()
    first = client.get("/public/", headers={"Cookie": cookie}).json()
    assert first["expires_at"] > okta.now() + 7000  # the refreshed expiresAt
    assert len(okta.calls_to("POST", REFRESH)) == 1
    again = client.get("/public/", headers={"Cookie": cookie}).json()
    assert again["expires_at"] == first["expires_at"]
    assert len(okta.calls_to("POST", REFRESH)) == 1
    assert _gets(okta) == 1


def test_single_flight_across_16_threads_on_a_threaded_server(
    okta: FakeOkta, wsgi_server: str
) -> None:
    cookie = _cookie(okta)
    okta.inject(latency=0.2, path_prefix=ME)  # widen the window: all 16 arrive meanwhile
    barrier = threading.Barrier(16)
    results: list[Any] = [None] * 16

    def browse(index: int) -> None:
        barrier.wait()
        response = httpx.get(
            wsgi_server + "/public/", headers={"Cookie": cookie}, trust_env=False, timeout=10
        )
        results[index] = response.json()["login"]

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [DEMO_LOGIN] * 16
    assert _gets(okta) == 1


# -- logout ------------------------------------------------------------------------------


def test_logout_closes_the_okta_session_and_evicts_it(okta: FakeOkta) -> None:
    cookie, client = _cookie(okta), Client()
    session_id = cookie.removeprefix("sid=")
    assert client.get("/public/", headers={"Cookie": cookie}).json()["login"] == DEMO_LOGIN
    service = get_service()
    key = service.key_for(service.okta_cookies(cookie))  # type: ignore[arg-type]
    assert service.cache.get(key) is not None

    headers = {**HTML, **SAME_ORIGIN, "Cookie": f"{cookie}; theme=dark"}
    response = client.post("/okta/logout/", headers=headers)
    assert response.status_code == 303
    assert response["Location"] == "/"
    morsel = response.cookies["sid"]
    assert morsel.value == ""
    assert morsel["max-age"] == "0"
    assert morsel["httponly"]
    assert morsel["samesite"] == "Lax"
    assert "theme" not in response.cookies
    (close,) = okta.calls_to("DELETE", ME)
    assert close.cookies == {"sid": session_id}
    assert okta.session(session_id) is None
    assert service.cache.get(key) is None

    assert client.get("/public/", headers={"Cookie": cookie}).json()["login"] is None
    assert _gets(okta) == 2  # asked again after the eviction: Okta says 404


def test_logout_answers_an_api_client_204(okta: FakeOkta) -> None:
    session_id = okta.create_session(DEMO_LOGIN)
    headers = {**API, **SAME_ORIGIN, "Cookie": okta.cookie_header(session_id, "idx")}
    response = Client().post("/okta/logout/", headers=headers)
    assert response.status_code == 204
    assert response.content == b""
    assert response.cookies["idx"]["max-age"] == "0"
    assert okta.session(session_id) is None


def test_logout_without_okta_cookie_is_fine_and_calls_nobody(okta: FakeOkta) -> None:
    response = Client().post("/okta/logout/", headers={**HTML, **SAME_ORIGIN})
    assert response.status_code == 303
    assert okta.calls == []


def test_logout_is_post_only(okta: FakeOkta) -> None:
    response = Client().get("/okta/logout/", headers={**SAME_ORIGIN, "Cookie": _cookie(okta)})
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert okta.calls == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://testserver"},  # another scheme is another origin
        {"Referer": "https://evil.example/page"},
        {},  # neither header, no token
        {"X-CSRF-Token": "forged"},
    ],
)
def test_logout_csrf_refusal_is_403_before_any_okta_call(
    okta: FakeOkta, headers: dict[str, str]
) -> None:
    cookie = _cookie(okta)
    response = Client().post("/okta/logout/", headers={**HTML, **headers, "Cookie": cookie})
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"
    assert okta.calls == []
    assert okta.session(cookie.removeprefix("sid=")) is not None


def test_logout_accepts_a_same_site_referer(okta: FakeOkta) -> None:
    headers = {**HTML, "Referer": "http://testserver/account/", "Cookie": _cookie(okta)}
    assert Client().post("/okta/logout/", headers=headers).status_code == 303


def test_logout_accepts_the_signed_token_from_a_form_or_a_header(okta: FakeOkta) -> None:
    client = Client()
    cookie = _cookie(okta)
    page = client.get("/logout-form/", headers={"Cookie": cookie}).content.decode()
    token = page.split('value="')[1].split('"')[0]
    assert 'name="csrf_token"' in page
    other = _cookie(okta)  # a token is bound to its own cookie
    form = {"csrf_token": token}
    refused = client.post("/okta/logout/", form, headers={**HTML, "Cookie": other})
    assert refused.status_code == 403
    response = client.post("/okta/logout/", form, headers={**HTML, "Cookie": cookie})
    assert response.status_code == 303
    assert len(okta.calls_to("DELETE", ME)) == 1


def test_logout_token_in_the_header(okta: FakeOkta, rf: Any) -> None:
    cookie = _cookie(okta)
    token = logout_csrf_token(rf.get("/", headers={"Cookie": cookie}))
    headers = {**API, "X-CSRF-Token": token, "Cookie": cookie}
    assert Client().post("/okta/logout/", headers=headers).status_code == 204


def test_logout_works_with_django_csrf_middleware_enforcing(okta: FakeOkta) -> None:
    """The view is csrf_exempt by design: our own check is the one that applies."""
    client = Client(enforce_csrf_checks=True)
    cookie = _cookie(okta)
    refused = client.post("/okta/logout/", headers={**HTML, "Cookie": cookie})
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf_failed"  # ours, not Django's HTML page
    ok = client.post("/okta/logout/", headers={**HTML, **SAME_ORIGIN, "Cookie": cookie})
    assert ok.status_code == 303


def _token(client: Client, **headers: str) -> str:
    page = client.get("/logout-form/", headers=headers).content.decode()
    return page.split('value="')[1].split('"')[0]


def test_i10_01_an_anonymous_token_works_only_in_the_browser_it_was_made_for(
    okta: FakeOkta,
) -> None:
    attacker, victim = Client(), Client()
    attackers_token = _token(attacker)  # the attacker's browser gets its own nonce cookie
    victims_token = _token(victim)
    # login CSRF: the attacker's page makes the victim's browser post the attacker's token
    forged = victim.post("/change/", {"csrf_token": attackers_token})
    assert forged.status_code == 403
    assert attacker.cookies["okta_mw_csrf"].value != victim.cookies["okta_mw_csrf"].value
    assert Client().post("/change/", {"csrf_token": attackers_token}).status_code == 403
    assert victim.post("/change/", {"csrf_token": victims_token}).status_code == 200
    assert okta.calls == []


def test_i10_01_a_foreign_origin_is_refused_whatever_the_token_says(okta: FakeOkta) -> None:
    client = Client()
    cookie = _cookie(okta)
    token = _token(client, Cookie=cookie)
    evil = {"Origin": "https://evil.example"}
    form = {"csrf_token": token}
    refused = client.post("/okta/logout/", form, headers={**evil, "Cookie": cookie})
    assert refused.status_code == 403
    referer = {"Referer": "https://evil.example/x"}
    changed = client.post("/change/", {"csrf_token": _token(client)}, headers=referer)
    assert changed.status_code == 403
    assert okta.calls == []
    allowed = client.post("/okta/logout/", {"csrf_token": token}, headers={"Cookie": cookie})
    assert allowed.status_code == 204


def test_i10_13_a_tls_proxy_forwarding_a_loopback_host_still_gets_secure(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "ORG_URL": "https://acme.okta.com"}
    client = Client(headers={"Host": "127.0.0.1"})  # plain http behind the proxy
    _token(client)
    nonce = client.cookies["__Host-okta_mw_csrf"]  # the nonce cookie: no Okta call needed
    assert nonce["secure"] and nonce["httponly"] and nonce["samesite"] == "Lax"
    assert nonce["path"] == "/" and not nonce["domain"]  # what a __Host- name requires
    assert "okta_mw_csrf" not in client.cookies


def test_async_logout_view_under_wsgi_uses_the_sync_client(okta: FakeOkta) -> None:
    response = Client().post("/bye/", headers={**HTML, **SAME_ORIGIN, "Cookie": _cookie(okta)})
    assert response.status_code == 303
    assert response["Location"] == "/see-you/"
    assert len(okta.calls_to("DELETE", ME)) == 1
    assert not get_service()._async.loops  # no async client left on a throwaway loop


# -- login helper ------------------------------------------------------------------------


def test_login_helper_sets_the_sid_cookie_and_primes_the_cache(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "COOKIE_SECURE": "true"}
    client = Client()
    token = okta.issue_session_token(DEMO_LOGIN)
    response = client.post("/login/", {"session_token": token})
    assert response.status_code == 200
    session_id = response.json()["id"]
    morsel = response.cookies["sid"]
    assert morsel.value == session_id
    assert morsel["httponly"]
    assert morsel["secure"]  # COOKIE_SECURE (the fake's loopback http org: off by default)
    assert morsel["samesite"] == "Lax"
    assert int(morsel["max-age"]) > 7000
    okta.clear_calls()
    protected = client.get("/protected/", headers=API)  # the client sends the new cookie
    assert protected.json()["id"] == session_id
    assert okta.calls == []  # CreateSession's answer is already cached


def test_async_login_helper_under_wsgi(okta: FakeOkta) -> None:
    token = okta.issue_session_token(DEMO_LOGIN)
    response = Client().post("/alogin/", {"session_token": token})
    assert response.cookies["sid"].value == response.json()["id"]
    assert not get_service()._async.loops


def test_login_cookie_is_not_secure_for_a_plain_http_loopback_org(okta: FakeOkta) -> None:
    token = okta.issue_session_token(DEMO_LOGIN)
    response = Client().post("/login/", {"session_token": token})  # whatever the Host
    assert not response.cookies["sid"]["secure"]


# -- ASGI --------------------------------------------------------------------------------


def test_middleware_is_sync_and_async_capable(okta: FakeOkta) -> None:
    async def get_response(request: Any) -> Any:
        return None

    assert OktaSessionMiddleware.sync_capable and OktaSessionMiddleware.async_capable
    assert asyncio.iscoroutinefunction(OktaSessionMiddleware(get_response))
    assert not asyncio.iscoroutinefunction(OktaSessionMiddleware(lambda r: None))  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize("path", ["/aprotected/", "/amixin/", "/protected/", "/apublic/"])
async def test_asgi_request_resolves_the_session(aokta: FakeOkta, path: str) -> None:
    response = await AsyncClient().get(path, headers={**API, "Cookie": _cookie(aokta)})
    assert response.status_code == 200
    assert response.json()["login"] == DEMO_LOGIN
    assert _gets(aokta) == 1


async def test_asgi_protected_view_denies_without_session(aokta: FakeOkta) -> None:
    client = AsyncClient()
    assert (await client.get("/aprotected/", headers=API)).status_code == 401
    redirect = await client.get("/amixin/", headers=HTML)
    assert redirect.status_code == 303
    assert redirect["Location"] == "/login/?next=%2Famixin%2F"
    assert aokta.calls == []


def test_i11_04_the_return_path_of_a_non_ascii_path_is_encoded_once(okta: FakeOkta) -> None:
    """Every adapter hands the core the decoded path (``web.access.safe_return_path``
    encodes it): Django passed it encoded already, so ``/café/`` came back from the login
    page as ``/caf%25C3%25A9/``, a 404 (found by the review of the adapters' shared
    refusal)."""
    from urllib.parse import parse_qs, urlsplit

    redirect = Client().get("/café/", headers=HTML)
    assert redirect.status_code == 303
    assert parse_qs(urlsplit(redirect["Location"]).query)["next"] == ["/caf%C3%A9/"]
    assert okta.calls == []


async def test_asgi_uses_the_async_client_on_the_server_loop(aokta: FakeOkta) -> None:
    await AsyncClient().get("/apublic/", headers={"Cookie": _cookie(aokta)})
    assert asyncio.get_running_loop() in get_service()._async.loops


async def test_asgi_sync_read_in_async_code_is_refused(aokta: FakeOkta) -> None:
    client = AsyncClient()
    with pytest.raises(SynchronousOnlyOperation, match=r"await request\.aokta_session\(\)"):
        await client.get("/async-sync-read/", headers={"Cookie": _cookie(aokta)})
    # without an Okta cookie there is nothing to look up: the plain read is fine
    assert (await client.get("/async-sync-read/")).json() == {"truthy": False}


async def test_asgi_single_flight_for_16_concurrent_requests(aokta: FakeOkta) -> None:
    cookie = _cookie(aokta)
    aokta.inject(latency=0.2, path_prefix=ME)
    client = AsyncClient()
    responses = await asyncio.gather(
        *(client.get("/aprotected/", headers={**API, "Cookie": cookie}) for _ in range(16))
    )
    assert [r.json()["login"] for r in responses] == [DEMO_LOGIN] * 16
    assert _gets(aokta) == 1


async def test_asgi_okta_down_is_503(aokta: FakeOkta, settings: SettingsWrapper) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "ORG_URL": _dead_org_url()}
    response = await AsyncClient().get("/aprotected/", headers={**HTML, "Cookie": _cookie(aokta)})
    assert response.status_code == 503
    await get_service().aclose()


async def test_asgi_logout_and_login(aokta: FakeOkta) -> None:
    client = AsyncClient()
    token = aokta.issue_session_token(DEMO_LOGIN)
    login = await client.post("/alogin/", {"session_token": token})
    session_id = login.json()["id"]
    assert login.cookies["sid"].value == session_id
    # the client sends the sid cookie it was given
    response = await client.post("/alogout/", headers={**HTML, **SAME_ORIGIN})
    assert response.status_code == 303
    assert response.cookies["sid"]["max-age"] == "0"
    assert aokta.session(session_id) is None
    refused = await client.post("/alogout/", headers={**HTML, "Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert len(aokta.calls_to("DELETE", ME)) == 1


def test_set_cookie_round_trip_keeps_the_core_attributes(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    """What the browser receives is the core's cookie, attribute for attribute."""
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "COOKIE_SECURE": True}
    token = okta.issue_session_token(DEMO_LOGIN)
    response = Client().post("/login/", {"session_token": token})
    header = response.cookies.output(header="").strip()
    parsed: SimpleCookie = SimpleCookie()
    parsed.load(header)
    assert {k for k, v in parsed["sid"].items() if v} == {
        "path",
        "expires",
        "max-age",
        "httponly",
        "samesite",
        "secure",
    }


# -- issue 10 item 2: never-seen cookies bounded per client address -----------------------


def test_i10_02_django_bounds_never_seen_cookie_lookups_per_remote_addr(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "NEW_COOKIE_LOOKUPS_PER_MINUTE": 2}
    reset_service()
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [
        attacker.get(
            "/protected/",
            headers={"Cookie": f"sid=102made-up-{n}", "X-Forwarded-For": f"10.0.0.{n}", **API},
        ).status_code
        for n in range(6)
    ]
    assert _gets(okta) <= 3  # 2, plus at most one refilled: a forged header buys none
    assert statuses.count(503) >= 3
    user = Client(REMOTE_ADDR="198.51.100.7")
    assert user.get("/protected/", headers={"Cookie": _cookie(okta), **API}).status_code == 200


@pytest.mark.parametrize("path", ["/header-login/", "/aheader-login/"])
def test_i10_12_debug_error_page_shows_no_secret(
    okta: FakeOkta, settings: SettingsWrapper, path: str
) -> None:
    """An Okta error a view lets through (a session token already used) renders Django's
    technical 500 page under DEBUG=True: its frames' locals, settings and cookies show
    neither the token nor the browser's Okta cookie nor the API token."""
    settings.DEBUG = True
    sid = okta.create_session(DEMO_LOGIN)
    token = okta.issue_session_token(DEMO_LOGIN)
    client = Client(raise_request_exception=False)
    client.cookies["sid"] = sid
    client.cookies["idx"] = sid
    headers = {"X-Session-Token": token}
    assert client.post(path, headers=headers).status_code == 200
    new_sid = client.cookies["sid"].value
    client.cookies["idx"] = sid
    page = client.post(path, headers=headers)  # a used token: OktaAuthenticationError
    assert page.status_code == 500
    html = page.content.decode()
    assert "OktaAuthenticationError" in html and "Local vars" in html
    assert "create_session" in html  # our frames are on the page, their values are not
    for secret in (token, sid, new_sid, DEMO_API_TOKEN):
        assert secret not in html


async def test_i10_12_asgi_debug_error_page_shows_no_secret(
    aokta: FakeOkta, settings: SettingsWrapper
) -> None:
    """As above under ASGI, where the async client's coroutine frames are on the page."""
    settings.DEBUG = True
    token = aokta.issue_session_token(DEMO_LOGIN)
    client = AsyncClient(raise_request_exception=False)
    headers = {"X-Session-Token": token}
    assert (await client.post("/aheader-login/", headers=headers)).status_code == 200
    sid = client.cookies["sid"].value
    page = await client.post("/aheader-login/", headers=headers)
    assert page.status_code == 500
    html = page.content.decode()
    assert "OktaAuthenticationError" in html and "alogin" in html
    for secret in (token, sid, DEMO_API_TOKEN):
        assert secret not in html


def test_i10_02_django_bounds_made_up_logouts_and_sign_ins_per_remote_addr(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    """Logouts of made-up cookies spend the address's never-seen-cookie allowance, and
    sign-ins through the helper have an allowance of their own, both by REMOTE_ADDR."""
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "NEW_COOKIE_LOOKUPS_PER_MINUTE": 2}
    reset_service()
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [
        attacker.post(
            "/okta/logout/", headers={**API, **SAME_ORIGIN, "Cookie": f"sid=102made-up-{n}"}
        ).status_code
        for n in range(5)
    ]
    assert len(okta.calls_to("DELETE", ME)) <= 3  # 2, plus at most one refilled
    assert statuses.count(503) >= 2  # refused: "try again", the cookies kept
    from okta_session_mw import SignInThrottledError

    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "SIGN_INS_PER_MINUTE": 1}
    reset_service()
    assert attacker.post(
        "/login/", {"session_token": okta.issue_session_token(DEMO_LOGIN)}
    ).status_code == 200
    with pytest.raises(SignInThrottledError):
        attacker.post("/login/", {"session_token": okta.issue_session_token(DEMO_LOGIN)})
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(
        "/login/", {"session_token": okta.issue_session_token(DEMO_LOGIN)}
    ).status_code == 200


def test_i10_12_error_reports_mask_a_redis_password_given_as_a_query_parameter() -> None:
    from okta_session_mw.integrations.django.debug import reporter_filter

    report_filter = reporter_filter(("sid", "idx"))
    assert report_filter is not None
    shown = report_filter.cleanse_setting(
        "OKTA_SESSION",
        {"CACHE_URL": "redis://cache:6379/0?password=hunter2", "ORG_URL": "https://x.okta.com"},
    )
    assert "hunter2" not in repr(shown)
    assert shown["ORG_URL"] == "https://x.okta.com"  # what holds no secret stays readable
