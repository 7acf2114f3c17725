"""The Flask extension, through Flask's test client (and a real threaded werkzeug server
for single flight), against the fake Okta over real HTTP."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from flask import Flask, Response
from flask.testing import FlaskClient

from okta_session_mw import (
    ConfigError,
    OktaSessionClient,
    OktaSessionConfig,
    SessionService,
)
from okta_session_mw.integrations.flask import (
    OktaSession,
    get_service,
    login_with_session_token,
    logout,
    okta_session_required,
)
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.flask_apps import ORIGIN, add_routes, flask_app, okta_settings
from tests.support.okta_users import API_TOKEN, LOGIN, PASSWORD
from tests.support.servers import serve_wsgi_threaded

HTML = {"accept": "text/html"}
ME = "/api/v1/sessions/me"
REFRESH = "/api/v1/sessions/me/lifecycle/refresh"


@pytest.fixture
def app(okta: FakeOkta) -> Iterator[Flask]:
    with flask_app(**okta_settings(okta)) as (flask, _):
        yield flask


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client(use_cookies=False)


def signed_in(okta: FakeOkta, status: str = "ACTIVE") -> tuple[str, dict[str, str]]:
    sid = okta.create_session(LOGIN, status=status)
    return sid, {"cookie": okta.cookie_header(sid)}


# -- the session on g and request ---------------------------------------------------------


def test_session_is_on_g_and_request(okta: FakeOkta, app: Flask, client: FlaskClient) -> None:
    sid, cookie = signed_in(okta)
    body = client.get("/", headers=cookie).json
    assert body == {**body, "g": sid, "request": sid, "status": "ACTIVE"}
    assert isinstance(app.extensions["okta_session"], OktaSession)
    assert client.get("/", headers=cookie).json == body
    assert me_calls(okta) == 1  # the second request was a cache hit


def test_idx_cookie_works_too(okta: FakeOkta, client: FlaskClient) -> None:
    sid = okta.create_session(LOGIN)
    body = client.get("/", headers={"cookie": okta.cookie_header(sid, "idx")}).json
    assert body is not None
    assert body["g"] == sid


@pytest.mark.parametrize("cookie", [None, "theme=dark; session=flask-signed"])
def test_no_okta_cookie_is_anonymous_and_costs_no_call(
    okta: FakeOkta, client: FlaskClient, cookie: str | None
) -> None:
    headers = {"cookie": cookie} if cookie else {}
    assert client.get("/", headers=headers).json == {
        "g": None,
        "request": None,
        "status": None,
        "expires_at": None,
    }
    assert okta.calls == []


def test_exempt_paths_are_never_looked_up(okta: FakeOkta) -> None:
    with flask_app(**okta_settings(okta, OKTA_EXEMPT_PATHS="/health, /static")) as (app, _):
        _, cookie = signed_in(okta)
        body = app.test_client(use_cookies=False).get("/health", headers=cookie).json
        assert body is not None
        assert body["g"] is None
    assert okta.calls == []


def test_only_okta_cookies_travel_to_okta(okta: FakeOkta, client: FlaskClient) -> None:
    sid = okta.create_session(LOGIN)
    cookie = f"theme=dark; sid={sid}; session=flask-signed; csrftoken=abc"
    client.get("/", headers={"cookie": cookie, "authorization": "Bearer app-token"})
    (call,) = okta.calls
    assert (call.method, call.path) == ("GET", ME)
    assert call.cookies == {"sid": sid}
    assert call.authorization is None


def test_a_crash_in_the_lookup_leaves_public_views_working(
    okta: FakeOkta, caplog: pytest.LogCaptureFixture
) -> None:
    class BrokenCache:  # the whole sync protocol, every call failing
        def get(self, key: str) -> None:
            raise RuntimeError("cache is down")

        claim = release = set = evict = evict_session = evict_user = ended = get

    service = SessionService(make_config(okta), cache=BrokenCache())
    with flask_app(service=service) as (app, _):
        client = app.test_client(use_cookies=False)
        _, cookie = signed_in(okta)
        with caplog.at_level(logging.ERROR, "okta_session_mw"):
            assert client.get("/", headers=cookie).json == {**client.get("/").json, "g": None}
            assert client.get("/private", headers=cookie).status_code == 503
        assert "failed unexpectedly" in caplog.text
        assert okta.cookie_header(okta.sessions[0].id) not in caplog.text


# -- protected views -----------------------------------------------------------------------


def test_protected_view_runs_with_an_active_session(okta: FakeOkta, client: FlaskClient) -> None:
    sid, cookie = signed_in(okta)
    for path in ("/private", "/private-async", "/p/a/b"):
        response = client.get(path, headers=cookie)
        assert response.status_code == 200, path
        assert response.json is not None
        assert response.json["g"] == sid


@pytest.mark.parametrize(
    ("path", "headers", "location"),
    [
        ("/private?tab=1&x=%2F", HTML, "/login?next=%2Fprivate%3Ftab%3D1%26x%3D%252F"),
        ("/p/deep/page", {"sec-fetch-mode": "navigate"}, "/login?next=%2Fp%2Fdeep%2Fpage"),
        ("/p/%5Cevil.example", HTML, "/login?next=%2F"),  # /\evil.example is not same-site
    ],
)
def test_browser_without_session_is_redirected_with_a_safe_next(
    client: FlaskClient, path: str, headers: dict[str, str], location: str
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 303
    assert response.headers["location"] == location
    assert response.headers["cache-control"] == "no-store"


def test_script_root_is_part_of_the_return_path(client: FlaskClient) -> None:
    response = client.get("/private", headers=HTML, base_url="http://localhost/app")
    assert response.headers["location"] == "/login?next=%2Fapp%2Fprivate"


@pytest.mark.parametrize(
    "headers", [{}, {"accept": "application/json"}, {"x-requested-with": "XMLHttpRequest"}]
)
def test_api_call_without_session_gets_401_json(
    okta: FakeOkta, client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.get("/private-async", headers=headers)
    assert response.status_code == 401
    assert response.content_type == "application/json"
    assert response.json == {
        "error": "okta_session_required",
        "message": "An active Okta session is required.",
    }
    assert response.headers["www-authenticate"] == 'OktaSession realm="okta"'
    assert okta.calls == []


def test_unknown_cookie_is_no_session(okta: FakeOkta, client: FlaskClient) -> None:
    assert client.get("/private", headers={"cookie": "sid=102nosuchsession"}).status_code == 401
    assert client.get("/private", headers={"cookie": "sid=102nosuchsession"}).status_code == 401
    assert me_calls(okta) == 1  # "no session" is cached briefly


def test_okta_down_is_503_not_a_login_redirect() -> None:
    fake = FakeOkta(api_token=API_TOKEN)
    fake.add_user(LOGIN, PASSWORD)
    with serve_fake_okta(fake):
        config = make_config(fake)
    _, cookie = signed_in(fake)  # the fake is no longer served: connection refused
    with flask_app(config) as (app, _):
        client = app.test_client(use_cookies=False)
        assert client.get("/", headers=cookie).json == {**client.get("/").json, "g": None}
        for headers in (cookie, {**cookie, **HTML}):
            response = client.get("/private", headers=headers)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"
            assert response.json is not None
            assert response.json["error"] == "okta_unavailable"


def test_okta_answering_500_is_503(okta: FakeOkta, client: FlaskClient) -> None:
    _, cookie = signed_in(okta)
    okta.inject(status=500)
    assert client.get("/private", headers={**cookie, **HTML}).status_code == 503
    assert client.get("/", headers=cookie).status_code == 200


def test_mfa_required_is_visible_but_does_not_pass(okta: FakeOkta, client: FlaskClient) -> None:
    sid, cookie = signed_in(okta, "MFA_REQUIRED")
    body = client.get("/", headers=cookie).json
    assert body is not None
    assert (body["g"], body["status"]) == (sid, "MFA_REQUIRED")
    assert client.get("/private", headers=cookie).status_code == 401
    assert client.get("/private", headers={**cookie, **HTML}).status_code == 303
    assert client.get("/mfa-ok", headers=cookie).status_code == 200


def test_accepted_statuses_from_app_config(okta: FakeOkta) -> None:
    settings = okta_settings(okta, OKTA_ACCEPTED_STATUSES="ACTIVE, MFA_REQUIRED")
    with flask_app(**settings) as (app, _):
        _, cookie = signed_in(okta, "MFA_REQUIRED")
        assert app.test_client(use_cookies=False).get("/private", headers=cookie).status_code == 200


def test_a_view_called_directly_resolves_on_demand(okta: FakeOkta, app: Flask) -> None:
    sid, cookie = signed_in(okta)
    view = app.view_functions["private"]
    with app.test_request_context("/private", headers=cookie):
        assert view()["g"] == sid
    with app.test_request_context("/private"):
        assert view().status_code == 401
    assert me_calls(okta) == 1


def test_decorator_without_the_extension_says_so() -> None:
    app = Flask(__name__)
    app.add_url_rule("/private", "private", okta_session_required(lambda: "secret"))
    app.testing = True
    with pytest.raises(RuntimeError, match=r"OktaSession\(app\)"):
        app.test_client().get("/private")


# -- logout ------------------------------------------------------------------------------


def close_calls(fake: FakeOkta) -> int:
    return len(fake.calls_to("DELETE", ME))


def test_logout_closes_the_okta_session_and_evicts_it(okta: FakeOkta, client: FlaskClient) -> None:
    sid, cookie = signed_in(okta)
    assert client.get("/private", headers=cookie).status_code == 200
    response = client.post("/logout", headers={**cookie, **HTML, "origin": ORIGIN})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    (close,) = okta.calls_to("DELETE", ME)
    assert (close.cookies, close.authorization) == ({"sid": sid}, None)
    assert okta.session(sid) is None
    (expired,) = response.headers.getlist("set-cookie")
    assert expired.startswith('sid=""')
    assert "Max-Age=0" in expired
    assert "Secure" not in expired  # http on loopback
    calls = me_calls(okta)
    body = client.get("/", headers=cookie).json
    assert body is not None
    assert body["g"] is None
    assert me_calls(okta) == calls + 1  # evicted: Okta was asked again, and said no


def test_logout_answers_an_api_client_with_204(okta: FakeOkta, client: FlaskClient) -> None:
    _, cookie = signed_in(okta)
    response = client.post("/logout", headers={**cookie, "referer": f"{ORIGIN}/account"})
    assert response.status_code == 204
    assert "content-type" not in response.headers
    assert response.data == b""
    assert close_calls(okta) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"referer": "https://evil.example/page"},
        {},
        {"x-csrf-token": "forged"},
    ],
)
def test_cross_site_logout_is_refused_before_any_okta_call(
    okta: FakeOkta, client: FlaskClient, headers: dict[str, str]
) -> None:
    sid, cookie = signed_in(okta)
    response = client.post("/logout", headers={**cookie, **headers})
    assert response.status_code == 403
    assert response.json is not None
    assert response.json["error"] == "csrf_failed"
    assert "set-cookie" not in response.headers
    assert okta.calls == []
    assert okta.session(sid) is not None


def test_logout_is_post_only(okta: FakeOkta, client: FlaskClient) -> None:
    _, cookie = signed_in(okta)
    assert client.get("/logout", headers={**cookie, "origin": ORIGIN}).status_code == 405
    assert close_calls(okta) == 0


@pytest.mark.parametrize("where", ["form", "header"])
def test_logout_with_a_valid_token_and_no_origin(
    okta: FakeOkta, client: FlaskClient, where: str
) -> None:
    sid, cookie = signed_in(okta)
    token = client.get("/token", headers=cookie).get_data(as_text=True)
    assert token
    if where == "form":
        response = client.post("/logout", headers={**cookie, **HTML}, data={"csrf_token": token})
    else:
        response = client.post("/logout", headers={**cookie, "x-csrf-token": token})
    assert response.status_code == (303 if where == "form" else 204)
    assert okta.session(sid) is None


def test_a_token_does_not_log_out_another_cookie(okta: FakeOkta, client: FlaskClient) -> None:
    _, mine = signed_in(okta)
    other_sid, other = signed_in(okta)
    token = client.get("/token", headers=mine).get_data(as_text=True)
    response = client.post("/logout", headers=other, data={"csrf_token": token})
    assert response.status_code == 403
    assert okta.session(other_sid) is not None


def test_logout_route_can_be_left_out(okta: FakeOkta) -> None:
    app = Flask(__name__)
    app.config.update(okta_settings(okta))
    extension = OktaSession(app, logout_route=False)
    try:
        assert app.test_client().post("/logout", headers={"origin": ORIGIN}).status_code == 404
    finally:
        extension.close()


def test_logout_path_from_config(okta: FakeOkta) -> None:
    with flask_app(**okta_settings(okta, OKTA_LOGOUT_PATH="/auth/sign-out")) as (app, _):
        _, cookie = signed_in(okta)
        client = app.test_client(use_cookies=False)
        with app.test_request_context():
            from flask import url_for

            assert url_for("okta_session.logout") == "/auth/sign-out"
        response = client.post("/auth/sign-out", headers={**cookie, "origin": ORIGIN})
        assert response.status_code == 204


# -- login helper and admin revoke ---------------------------------------------------------


# ``Secure`` follows OKTA_COOKIE_SECURE (default for the fake's plain-http loopback org:
# off), never the request's host (issue 10 item 13 changed this).
@pytest.mark.parametrize(
    ("base_url", "setting", "secure"),
    [("http://localhost", None, False), ("https://a.example", "true", True),
     ("https://a.example", "false", False)],
)
def test_login_with_session_token_sets_sid_and_primes_the_cache(
    okta: FakeOkta, base_url: str, setting: str | None, secure: bool
) -> None:
    extra = {} if setting is None else {"OKTA_COOKIE_SECURE": setting}
    with flask_app(**okta_settings(okta, **extra)) as (app, _):
        check_login_cookie(okta, app.test_client(use_cookies=False), base_url, secure)


def check_login_cookie(okta: FakeOkta, client: FlaskClient, base_url: str, secure: bool) -> None:
    token = okta.issue_session_token(LOGIN)
    response = client.post("/login", data={"token": token}, base_url=base_url)
    assert response.status_code == 204
    (set_cookie,) = response.headers.getlist("set-cookie")
    (session,) = okta.sessions
    assert set_cookie.startswith(f"sid={session.id}; Path=/; Expires=")
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    assert ("Secure" in set_cookie) is secure
    body = client.get("/private", headers={"cookie": f"sid={session.id}"}).json
    assert body is not None
    assert body["g"] == session.id
    assert me_calls(okta) == 0


def test_i10_13_a_tls_proxy_forwarding_a_loopback_host_still_gets_secure(okta: FakeOkta) -> None:
    # A production (https) org whose Okta calls reach the fake through the client hook;
    # the app itself is reached over plain http as 127.0.0.1 (a TLS proxy in front).
    assert okta.base_url is not None
    config = OktaSessionConfig(org_url="https://acme.okta.com", api_token=API_TOKEN)
    to_fake = OktaSessionClient(okta.base_url, api_token=API_TOKEN)
    with to_fake, flask_app(service=SessionService(config, client=to_fake)) as (app, _):
        check_login_cookie(okta, app.test_client(use_cookies=False), "http://127.0.0.1", True)


def test_revoke_closes_the_session_at_okta_and_evicts_it(okta: FakeOkta) -> None:
    with flask_app(**okta_settings(okta)) as (app, extension):
        client = app.test_client(use_cookies=False)
        sid, cookie = signed_in(okta)
        assert client.get("/private", headers=cookie).status_code == 200
        assert extension.revoke(sid) is True
        assert [c.authorization for c in okta.calls_to("DELETE", f"/api/v1/sessions/{sid}")] == [
            f"SSWS {API_TOKEN}"
        ]
        assert client.get("/private", headers=cookie).status_code == 401
        assert me_calls(okta) == 2
        assert extension.revoke(sid) is False


# -- refresh near expiry ---------------------------------------------------------------------


def test_refresh_near_expiry(okta: FakeOkta) -> None:
    # The service runs on the fake's clock, so advancing it brings the session near expiry.
    # the request's own refresh (its answer shows the new expiresAt): refresh-ahead off
    config = make_config(okta, refresh_threshold=300, refresh_ahead=0)
    service = SessionService(config, clock=okta.now)
    with flask_app(service=service) as (app, _):
        client = app.test_client(use_cookies=False)
        sid, cookie = signed_in(okta)
        first = client.get("/", headers=cookie).json
        assert first is not None
        assert okta.calls_to("POST", REFRESH) == []
        okta.advance(okta.idle_timeout - 200)  # 200 s left, under the 300 s threshold
        second = client.get("/private", headers=cookie).json
        assert second is not None
        assert len(okta.calls_to("POST", REFRESH)) == 1
        live = okta.session(sid)
        assert live is not None
        assert second["expires_at"] > first["expires_at"]
        assert datetime.fromisoformat(second["expires_at"]).timestamp() == live.expires_at
        third = client.get("/private", headers=cookie).json
        assert third is not None
        assert third["expires_at"] == second["expires_at"]
        assert len(okta.calls_to("POST", REFRESH)) == 1


# -- a real threaded server (tests.support.servers.serve_wsgi_threaded) -------------------


def hit_concurrently(
    base_url: str, path: str, cookie: dict[str, str], n: int = 16
) -> list[tuple[int, str | None]]:
    """``n`` threads released together by a barrier, each sending one request; each
    answer's status and the session id the view saw."""
    barrier = threading.Barrier(n)
    results: list[tuple[int, str | None]] = [(0, None)] * n

    def worker(i: int, http: httpx.Client) -> None:
        barrier.wait()
        response = http.get(path, headers=cookie)
        results[i] = (response.status_code, response.json().get("g"))

    limits = httpx.Limits(max_connections=n)
    with httpx.Client(base_url=base_url, trust_env=False, timeout=10, limits=limits) as http:
        threads = [threading.Thread(target=worker, args=(i, http)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    return results


def test_single_flight_across_16_threads(okta: FakeOkta, app: Flask) -> None:
    sid, cookie = signed_in(okta)
    okta.inject(latency=0.2)
    with serve_wsgi_threaded(app) as base_url:
        results = hit_concurrently(base_url, "/private", cookie)
    assert results == [(200, sid)] * 16
    assert me_calls(okta) == 1


def test_one_refresh_for_16_threads_near_expiry(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta, refresh_threshold=300), clock=okta.now)
    with flask_app(service=service) as (app, _):
        sid, cookie = signed_in(okta)
        okta.advance(okta.idle_timeout - 200)
        okta.inject(latency=0.2)
        with serve_wsgi_threaded(app) as base_url:
            results = hit_concurrently(base_url, "/private", cookie)
    assert results == [(200, sid)] * 16
    assert me_calls(okta) == 1
    assert len(okta.calls_to("POST", REFRESH)) == 1


# -- settings ------------------------------------------------------------------------------


def test_settings_from_app_config(okta: FakeOkta) -> None:
    settings = okta_settings(
        okta, OKTA_CACHE_TTL="30", OKTA_COOKIE_NAMES=["idx"], OKTA_LOGIN_URL="/sign-in"
    )
    with flask_app(**settings) as (app, extension):
        config = extension.service.config
        assert (config.org_url, config.cache_ttl, config.cookie_names) == (
            okta.base_url,
            30.0,
            ("idx",),
        )
        assert config.api_token == API_TOKEN
        client = app.test_client(use_cookies=False)
        _, sid_cookie = signed_in(okta)
        body = client.get("/", headers=sid_cookie).json
        assert body is not None
        assert body["g"] is None  # sid is not a configured cookie name
        response = client.get("/private", headers=HTML)
        assert response.headers["location"] == "/sign-in?next=%2Fprivate"


def test_an_okta_session_config_wins_over_app_config(okta: FakeOkta) -> None:
    config = make_config(okta, cache_ttl=12)
    with flask_app(config, OKTA_ORG_URL="https://ignored.okta.com") as (app, extension):
        assert extension.service.config is config
        with app.app_context():
            assert get_service() is extension.service


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "OKTA_ORG_URL"),
        ({"OKTA_ORG_URL": "http://example.okta.com"}, "OKTA_ORG_URL"),
        ({"OKTA_ORG_URL": "https://example.okta.com", "OKTA_CACHE_TTL": "soon"}, "OKTA_CACHE_TTL"),
        ({"OKTA_ORG_URL": "https://example.okta.com", "OKTA_CACHE_TTL": -1}, "OKTA_CACHE_TTL"),
        (
            {"OKTA_ORG_URL": "https://example.okta.com", "OKTA_CACHE_URL": "redis://localhost"},
            "OKTA_SECRET_KEY",
        ),
    ],
)
def test_bad_settings_raise_config_error_at_init(settings: dict[str, Any], named: str) -> None:
    app = Flask(__name__)
    app.config.update(settings)
    with pytest.raises(ConfigError) as raised:
        OktaSession(app)
    assert raised.value.setting == named
    assert named in str(raised.value)
    assert "okta_session" not in app.extensions


def test_init_app_serves_several_apps(okta: FakeOkta) -> None:
    extension = OktaSession()
    first, second = Flask("first"), Flask("second")
    first.config.update(okta_settings(okta, OKTA_CACHE_TTL=10))
    second.config.update(okta_settings(okta, OKTA_CACHE_TTL=20))
    extension.init_app(first)
    extension.init_app(second)
    try:
        for app, ttl in ((first, 10.0), (second, 20.0)):
            assert app.extensions["okta_session"] is extension
            with app.app_context():
                assert extension.service.config.cache_ttl == ttl
        with pytest.raises(RuntimeError, match="several apps"):
            _ = extension.service
        with pytest.raises(RuntimeError, match="already set up"):
            extension.init_app(first)
    finally:
        extension.close()


# -- the quickstart ----------------------------------------------------------------------------


def test_flask_quickstart_runs(okta: FakeOkta) -> None:
    from example_app.flask_app import create_app

    app = create_app({"OKTA_ORG_URL": okta.base_url, "OKTA_API_TOKEN": API_TOKEN})
    client = app.test_client()
    try:
        assert "Not signed in" in client.get("/").get_data(as_text=True)
        to_login = client.get("/profile", headers=HTML)
        assert to_login.headers["location"] == "/login?next=%2Fprofile"
        assert client.get("/api/me").status_code == 401
        page = client.get("/login").get_data(as_text=True)
        sign_in_token = page.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": LOGIN, "password": "wrong", "next": "/profile"}
        form["csrf_token"] = sign_in_token  # the sign-in form is CSRF-checked (issue 10, 1)
        assert client.post("/login", data=form).status_code == 401
        signed = client.post("/login", data={**form, "password": PASSWORD})
        assert signed.status_code == 303
        assert signed.headers["location"] == "/profile"
        assert LOGIN in client.get("/profile").get_data(as_text=True)
        me = client.get("/api/me").json
        assert me is not None
        assert (me["login"], me["status"]) == (LOGIN, "ACTIVE")
        home = client.get("/").get_data(as_text=True)
        token = home.split('name="csrf_token" value="')[1].split('"')[0]
        out = client.post("/logout", data={"csrf_token": token}, headers=HTML)
        assert (out.status_code, out.headers["location"]) == (303, "/")
        assert okta.sessions == []
        assert client.get("/profile", headers=HTML).status_code == 303
        evil = {**form, "password": PASSWORD, "next": "//evil.example/"}
        assert client.post("/login", data=evil).headers["location"] == "/"
    finally:
        app.extensions["okta_session"].close()


def test_i10_01_login_csrf_on_the_flask_quickstart_sign_in_is_refused(okta: FakeOkta) -> None:
    from example_app.flask_app import create_app

    okta.add_user("mallory@example.com", "mallory's password")
    app = create_app({"OKTA_ORG_URL": okta.base_url, "OKTA_API_TOKEN": API_TOKEN})
    attacker, victim = app.test_client(), app.test_client()
    try:
        page = attacker.get("/login").get_data(as_text=True)
        token = page.partition('name="csrf_token" value="')[2].partition('"')[0]
        victim.get("/login")  # the victim's browser has a nonce cookie of its own
        forged = {"username": "mallory@example.com", "password": "mallory's password",
                  "csrf_token": token}
        assert victim.post("/login", data=forged).status_code == 403
        cross_site = victim.post("/login", data=forged, headers={"origin": "https://evil.example"})
        assert cross_site.status_code == 403
        assert okta.sessions == [] and victim.get_cookie("sid") is None
        assert attacker.post("/login", data=forged).status_code == 303  # its own browser: fine
    finally:
        app.extensions["okta_session"].close()


def test_i10_01_an_anonymous_token_works_only_in_the_browser_it_was_made_for(
    okta: FakeOkta, app: Flask
) -> None:
    attacker, victim = app.test_client(), app.test_client()
    attackers_token = attacker.get("/token").get_data(as_text=True)
    victims_token = victim.get("/token").get_data(as_text=True)
    assert victim.post("/change", data={"csrf_token": attackers_token}).status_code == 403
    nonce = attacker.get_cookie("okta_mw_csrf")
    assert nonce is not None and nonce.http_only and nonce.same_site == "Lax"
    assert victim.post("/change", data={"csrf_token": victims_token}).status_code == 200
    assert app.test_client().post("/change", data={"csrf_token": victims_token}).status_code == 403
    assert okta.calls == []


def test_i10_01_a_foreign_origin_is_refused_whatever_the_token_says(
    okta: FakeOkta, client: FlaskClient
) -> None:
    sid, cookie = signed_in(okta)
    token = client.get("/token", headers=cookie).get_data(as_text=True)
    for foreign in ({"origin": "https://evil.example"}, {"referer": "https://evil.example/"}):
        response = client.post("/logout", headers={**cookie, **foreign, "x-csrf-token": token})
        assert response.status_code == 403
        changed = client.post("/change", headers={**cookie, **foreign, "x-csrf-token": token})
        assert changed.status_code == 403
    assert okta.calls_to("DELETE", ME) == [] and okta.session(sid) is not None


def test_flask_quickstart_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from example_app.flask_app import create_app

    monkeypatch.setenv("OKTA_ORG_URL", "https://example.okta.com")
    monkeypatch.setenv("OKTA_CACHE_TTL", "45")
    app = create_app()
    assert app.extensions["okta_session"].service.config.cache_ttl == 45.0
    monkeypatch.delenv("OKTA_ORG_URL")
    with pytest.raises(ConfigError, match="OKTA_ORG_URL"):
        create_app()


# -- issue 10: split Cookie fields, the logout path is never looked up ---------------------


def split_fields(sid: str) -> list[tuple[str, str]]:
    """One ``Cookie`` field per cookie, as an HTTP/2 client sends them; a WSGI server
    joins repeated fields with commas (CGI's rule), which is what the app then sees."""
    return [("Cookie", "theme=dark"), ("Cookie", f"sid={sid}"), ("Cookie", "lang=en")]


@pytest.mark.parametrize("through", ["test-client", "werkzeug-server"])
def test_i10_04_split_cookie_fields_logout_closes_session(okta: FakeOkta, through: str) -> None:
    with flask_app(**okta_settings(okta)) as (app, extension):
        sid = okta.create_session(LOGIN)
        service = extension.service_for(app)
        key = service.key_for(service.okta_cookies(f"sid={sid}"))  # type: ignore[arg-type]
        logout_headers = [*split_fields(sid), ("Origin", ORIGIN), ("Accept", "text/html")]
        if through == "test-client":
            client = app.test_client(use_cookies=False)
            looked_up = client.get("/", headers=split_fields(sid)).json
            cached = service.cache.get(key) is not None
            response = client.post("/logout", headers=logout_headers)
            status, expired = response.status_code, response.headers.getlist("set-cookie")
        else:
            with serve_wsgi_threaded(app) as base_url, httpx.Client(
                base_url=base_url, trust_env=False, timeout=10
            ) as http:
                looked_up = http.get("/", headers=split_fields(sid)).json()
                cached = service.cache.get(key) is not None
                host_origin = ("Origin", base_url)
                answer = http.post("/logout", headers=[*split_fields(sid), host_origin])
                status, expired = answer.status_code, answer.headers.get_list("set-cookie")
        assert looked_up is not None
        assert looked_up["g"] == sid
        assert cached
        assert status in (303, 204)
        (close,) = okta.calls_to("DELETE", ME)
        assert close.cookies == {"sid": sid}
        assert okta.session(sid) is None
        assert service.cache.get(key) is None  # evicted
        (dropped,) = expired
        assert dropped.startswith('sid=""') and "Max-Age=0" in dropped


def test_i10_04_split_cookie_fields_token_is_bound_to_the_okta_cookie(
    okta: FakeOkta, client: FlaskClient
) -> None:
    sid = okta.create_session(LOGIN)
    token = client.get("/token", headers=split_fields(sid)).get_data(as_text=True)
    response = client.post(
        "/logout", headers={"cookie": f"theme=dark; sid={sid}", "x-csrf-token": token}
    )
    assert response.status_code == 204
    assert okta.session(sid) is None


def test_i10_04_a_comma_in_another_cookies_quoted_value_is_not_a_field_boundary(
    okta: FakeOkta, app: Flask
) -> None:
    """Over a real werkzeug server (it joins repeated fields with ``,``): a quoted
    comma in another cookie neither hides the user's ``sid`` (a second ``sid``) nor
    attaches one the browser never sent as a cookie."""
    sid = okta.create_session(LOGIN)
    other = okta.create_session(LOGIN)
    with serve_wsgi_threaded(app) as base_url, httpx.Client(
        base_url=base_url, trust_env=False, timeout=10
    ) as http:
        fields = [("Cookie", 'note="x,sid=junk"'), ("Cookie", f"sid={sid}")]
        assert http.get("/", headers=fields).json()["g"] == sid
        one_field = [("Cookie", f'note="a, sid={other}, b"; theme=dark')]
        assert http.get("/", headers=one_field).json()["g"] is None
    assert [call.cookies for call in okta.calls_to("GET", ME)] == [{"sid": sid}]


@pytest.mark.parametrize("cached", [False, True], ids=["not-cached", "cached"])
@pytest.mark.parametrize("own_route", [False, True], ids=["extension-route", "own-route"])
def test_i10_05_refused_logout_makes_no_okta_call(
    okta: FakeOkta, cached: bool, own_route: bool
) -> None:
    """Also when the app mounts its own logout view at the configured path: the core,
    not the extension's blueprint, decides what is never looked up."""
    app = Flask(__name__)
    app.config.update(okta_settings(okta))
    extension = OktaSession(app, logout_route=not own_route)
    add_routes(app)
    if own_route:
        app.add_url_rule("/logout", "my_logout", lambda: logout(), methods=["POST"])
    try:
        sid, cookie = signed_in(okta)
        client = app.test_client(use_cookies=False)
        if cached:
            body = client.get("/", headers=cookie).json
            assert body is not None
            assert body["g"] == sid
        okta.clear_calls()
        response = client.post("/logout", headers={**cookie, "origin": "https://evil.example"})
        assert response.status_code == 403
        assert okta.calls == []
        assert okta.session(sid) is not None
    finally:
        extension.close()


# -- issue 10 item 2: never-seen cookies bounded per client address -----------------------


def test_i10_02_flask_bounds_never_seen_cookie_lookups_per_remote_addr(okta: FakeOkta) -> None:
    settings = okta_settings(okta, OKTA_NEW_COOKIE_LOOKUPS_PER_MINUTE=2)
    with flask_app(**settings) as (app, _):
        attacker = app.test_client(use_cookies=False)
        statuses = [
            attacker.get(
                "/private",
                headers={"cookie": f"sid=102made-up-{n}", "x-forwarded-for": f"10.0.0.{n}"},
                environ_base={"REMOTE_ADDR": "203.0.113.5"},
            ).status_code
            for n in range(6)
        ]
        assert me_calls(okta) <= 3  # 2, plus at most one refilled: a forged header buys none
        assert statuses.count(503) >= 3  # "unavailable", not a redirect to the login page
        _, cookie = signed_in(okta)
        user = app.test_client(use_cookies=False)
        page = user.get("/private", headers=cookie, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert page.status_code == 200


def test_i10_02_flask_bounds_made_up_logouts_and_sign_ins_per_remote_addr(
    okta: FakeOkta,
) -> None:
    """Logouts of made-up cookies spend the address's never-seen-cookie allowance, and
    sign-ins through the helper have an allowance of their own, both by REMOTE_ADDR."""
    settings = okta_settings(
        okta, OKTA_NEW_COOKIE_LOOKUPS_PER_MINUTE=2, OKTA_SIGN_INS_PER_MINUTE=1
    )
    attacker = {"REMOTE_ADDR": "203.0.113.5"}
    with flask_app(**settings) as (app, _):
        client = app.test_client(use_cookies=False)
        statuses = [
            client.post(
                "/logout",
                headers={"cookie": f"sid=102made-up-{n}", "origin": "http://localhost"},
                environ_base=attacker,
            ).status_code
            for n in range(5)
        ]
        assert close_calls(okta) <= 3  # 2, plus at most one refilled
        assert statuses.count(503) >= 2  # refused: "try again", the cookies kept
        from okta_session_mw import SignInThrottledError

        for expected_ok in (True, False):
            with app.test_request_context(environ_base=attacker):
                token = okta.issue_session_token(LOGIN)
                if expected_ok:
                    login_with_session_token(Response(), token)
                else:
                    with pytest.raises(SignInThrottledError):
                        login_with_session_token(Response(), token)
        with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.7"}):
            assert login_with_session_token(Response(), okta.issue_session_token(LOGIN)).id
