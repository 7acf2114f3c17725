"""The example app without a browser: its pages, forms and settings, against the fake Okta.

Requests go through Starlette's TestClient (lifespan included) on ``127.0.0.1``, so the
``sid`` cookie is set without ``Secure`` as for local development; the fake Okta is
served over real HTTP. The browser walk-through is ``test_example_app.py``.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from example_app import create_app
from example_app.__main__ import app_settings, demo_settings, real_org
from example_app.activity import SessionActivity
from example_app.admin import session_fingerprint, session_handle
from example_app.demo import DEMO_USERS, make_fake_okta
from example_app.forms import safe_next
from example_app.templating import duration
from okta_session_mw import OktaSessionConfig, Session
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.test_example_app import serve_app

ROOT = Path(__file__).resolve().parent.parent
ADA = DEMO_USERS[0]
HTML = {"accept": "text/html"}


@pytest.fixture
def fake() -> Iterator[FakeOkta]:
    okta = make_fake_okta()
    with serve_fake_okta(okta):
        yield okta


def settings(fake: FakeOkta, **overrides: object) -> OktaSessionConfig:
    assert fake.base_url is not None
    return app_settings({}, org_url=fake.base_url, api_token=fake.api_token, **overrides)


@pytest.fixture
def client(fake: FakeOkta) -> Iterator[TestClient]:
    with TestClient(create_app(settings(fake), fake=fake), base_url="http://127.0.0.1") as c:
        yield c


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match[1]


def sign_in(client: httpx.Client, user: str = ADA.login, password: str = ADA.password) -> str:
    """Sign in through the form; returns the new sid."""
    token = csrf_token(client.get("/login").text)
    reply = client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": token, "next": "/profile"},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    assert reply.headers["location"] == "/profile"
    sid = client.cookies.get("sid")
    assert sid
    return sid


def me_calls(fake: FakeOkta) -> int:
    return len(fake.calls_to("GET", "/api/v1/sessions/me"))


# -- anonymous ---------------------------------------------------------------------------


def test_home_offers_sign_in_when_anonymous(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="sign-in-link"' in page.text
    assert 'id="sign-out"' not in page.text


def test_profile_sends_a_browser_to_sign_in(client: TestClient) -> None:
    reply = client.get("/profile", headers=HTML, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=%2Fprofile"


@pytest.mark.parametrize("headers", [{}, {"accept": "application/json"}])
def test_api_me_is_401_when_anonymous(client: TestClient, headers: dict[str, str]) -> None:
    reply = client.get("/api/me", headers=headers)
    assert reply.status_code == 401
    assert reply.json()["error"] == "okta_session_required"


def test_static_files_are_served_without_any_okta_lookup(
    client: TestClient, fake: FakeOkta
) -> None:
    sign_in(client)
    fake.clear_calls()
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/app.js").status_code == 200
    assert fake.calls == []


def test_pages_use_no_external_assets() -> None:
    for path in [
        *(ROOT / "example_app/templates").iterdir(),
        *(ROOT / "example_app/static").iterdir(),
    ]:
        text = path.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "@import" not in text, path


# -- sign-in -----------------------------------------------------------------------------


def test_login_page_lists_the_demo_users_on_the_fake(client: TestClient) -> None:
    page = client.get("/login").text
    for user in DEMO_USERS:
        assert user.login in page
        assert user.password in page


def test_sign_in_sets_sid_and_primes_the_cache(client: TestClient, fake: FakeOkta) -> None:
    token = csrf_token(client.get("/login").text)
    reply = client.post(
        "/login",
        data={"username": ADA.login, "password": ADA.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("sid=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert [(c.method, c.path) for c in fake.calls] == [
        ("POST", "/api/v1/authn"),
        ("POST", "/api/v1/sessions"),
    ]
    page = client.get("/profile")
    assert page.status_code == 200
    assert me_calls(fake) == 0  # CreateSession's answer was cached
    assert 'id="served-from">Served from cache' in page.text


def test_sign_in_while_okta_is_down_says_so(client: TestClient, fake: FakeOkta) -> None:
    token = csrf_token(client.get("/login").text)
    fake.inject(drop_connection=True, path_prefix="/api/v1/authn")
    reply = client.post(
        "/login", data={"username": ADA.login, "password": ADA.password, "csrf_token": token}
    )
    assert reply.status_code == 502
    assert "Okta could not be reached" in reply.text
    assert "set-cookie" not in reply.headers


def test_i10_02_sign_in_held_back_for_the_rate_limit_says_try_again_shortly(
    client: TestClient, fake: FakeOkta
) -> None:
    """Signing in again and again (CreateSession counts in Okta's one sessions bucket)
    is held back before Okta answers 429: the page asks to try again shortly (503),
    sets no cookie, and the rest of the window stays for signed-in users."""
    fake.set_rate_limit(12, bucket="/api/v1/sessions")
    for _ in range(15):
        client.cookies.clear()
        token = csrf_token(client.get("/login").text)
        reply = client.post(
            "/login",
            data={"username": ADA.login, "password": ADA.password, "csrf_token": token},
            follow_redirects=False,
        )
        if reply.status_code != 303:
            break
    assert all(call.status != 429 for call in fake.calls)
    assert reply.status_code == 503
    assert "try again shortly" in reply.text
    assert "sid=" not in reply.headers.get("set-cookie", "")


def test_wrong_password_shows_an_error_and_sets_no_cookie(client: TestClient) -> None:
    token = csrf_token(client.get("/login").text)
    reply = client.post(
        "/login", data={"username": ADA.login, "password": "nope", "csrf_token": token}
    )
    assert reply.status_code == 401
    assert "Wrong username or password." in reply.text
    assert ADA.login in reply.text  # the username is kept in the form
    assert "set-cookie" not in reply.headers


def test_what_the_user_typed_is_escaped(client: TestClient) -> None:
    token = csrf_token(client.get("/login").text)
    reply = client.post(
        "/login", data={"username": "<b>x</b>", "password": "nope", "csrf_token": token}
    )
    assert "<b>x</b>" not in reply.text
    assert "&lt;b&gt;x&lt;/b&gt;" in reply.text


def test_empty_form_is_refused_without_calling_okta(client: TestClient, fake: FakeOkta) -> None:
    token = csrf_token(client.get("/login").text)
    reply = client.post("/login", data={"username": " ", "password": "", "csrf_token": token})
    assert reply.status_code == 400
    assert fake.calls == []


def test_cross_site_sign_in_post_is_refused(client: TestClient, fake: FakeOkta) -> None:
    reply = client.post(
        "/login",
        data={"username": ADA.login, "password": ADA.password},
        headers={"origin": "http://evil.example"},
    )
    assert reply.status_code == 403
    assert fake.calls == []


def test_signed_in_visit_to_login_goes_to_next(client: TestClient) -> None:
    sign_in(client)
    reply = client.get("/login?next=/api/me", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/api/me"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin", "/admin"),
        ("/profile?tab=1", "/profile?tab=1"),
        ("//evil.example/x", "/profile"),
        ("/\\evil.example", "/profile"),
        ("https://evil.example/", "/profile"),
        ("/ok\r\nSet-Cookie: x=1", "/profile"),
        ("", "/profile"),
        (None, "/profile"),
    ],
)
def test_next_is_a_same_site_path_only(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_sign_in_never_redirects_off_site(client: TestClient) -> None:
    token = csrf_token(client.get("/login").text)
    reply = client.post(
        "/login",
        data={
            "username": ADA.login,
            "password": ADA.password,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert reply.headers["location"] == "/profile"


# -- signed in ---------------------------------------------------------------------------


def test_profile_shows_the_session(client: TestClient, fake: FakeOkta) -> None:
    sid = sign_in(client)
    live = fake.session(sid)
    assert live is not None
    page = client.get("/profile").text
    assert f'id="session-login">{ADA.login}<' in page
    assert f'id="session-user-id">{live.user_id}<' in page
    assert "ACTIVE" in page
    assert "Password" in page  # amr pwd
    assert 'data-countdown="' in page
    assert "Ada Lovelace" in page
    assert sid not in page  # the cookie's value stays out of the page


def test_api_me_returns_the_session_without_its_id(client: TestClient, fake: FakeOkta) -> None:
    sid = sign_in(client)
    body = client.get("/api/me").json()
    assert body["login"] == ADA.login
    assert body["status"] == "ACTIVE"
    assert body["amr"] == ["pwd"]
    assert body["name"] == "Ada Lovelace"
    assert body["app"]["servedFrom"] == "cache"
    assert body["app"]["lastCheckedWithOkta"] is not None
    assert "id" not in body
    assert sid not in str(body)


def test_profile_notes_a_refresh(fake: FakeOkta) -> None:
    # A threshold longer than the fake's idle timeout: every new expiresAt is "near".
    config = settings(fake, refresh_threshold=fake.idle_timeout + 60)
    with TestClient(create_app(config, fake=fake), base_url="http://127.0.0.1") as client:
        sign_in(client)
        time.sleep(0.01)  # the fake's times have millisecond steps
        # Refresh-ahead (the default): the page is served at once and the refresh made
        # behind it, so a later page shows it.
        deadline = time.monotonic() + 10  # a bound on "never happens", not a timing
        while True:
            page = client.get("/profile").text
            refreshed = re.search(r'id="last-refreshed">\s*(.*?)</dd>', page, re.S)
            assert refreshed
            if "Not yet" not in refreshed[1]:
                break
            assert time.monotonic() < deadline, "the refresh never showed"
            time.sleep(0.02)
    assert len(fake.calls_to("POST", "/api/v1/sessions/me/lifecycle/refresh")) == 1


def test_sign_out_closes_the_session(client: TestClient, fake: FakeOkta) -> None:
    sid = sign_in(client)
    token = csrf_token(client.get("/profile").text)
    reply = client.post("/logout", data={"csrf_token": token}, headers=HTML, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/?signed_out=1"
    assert fake.session(sid) is None
    assert fake.calls_to("DELETE", "/api/v1/sessions/me")
    assert "You have signed out" in client.get("/?signed_out=1").text
    assert client.get("/profile", headers=HTML, follow_redirects=False).status_code == 303


# -- admin -------------------------------------------------------------------------------


GRACE = DEMO_USERS[1]


def handle(client: TestClient, session_id: str) -> str:
    """The revoke form's handle for ``session_id`` on the app ``client`` drives."""
    return session_handle(client.app.state.config, session_id)  # type: ignore[attr-defined]


def fingerprint(client: TestClient, session_id: str) -> str:
    return session_fingerprint(client.app.state.config, session_id)  # type: ignore[attr-defined]


def test_i10_23_admin_page_is_for_a_signed_in_administrator_only(
    client: TestClient, fake: FakeOkta
) -> None:
    """Anonymous visitors are sent to sign-in (API callers get 401), a signed-in user who
    is not an administrator gets 403, and neither sees a session or reaches the revoke."""
    grace_sid = fake.create_session(GRACE.login)
    reply = client.get("/admin", headers=HTML, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=%2Fadmin"
    assert client.get("/admin").status_code == 401
    anonymous = client.post(
        "/admin/revoke",
        data={"session": handle(client, grace_sid)},
        headers={"origin": "http://127.0.0.1"},
    )
    assert anonymous.status_code == 401
    sign_in(client, GRACE.login, GRACE.password)
    page = client.get("/admin")
    assert page.status_code == 403
    assert "Administrators only" in page.text
    assert GRACE.login not in page.text.split("<main", 1)[1].split("</main>", 1)[0]
    token = csrf_token(page.text)
    refused = client.post(
        "/admin/revoke", data={"session": handle(client, grace_sid), "csrf_token": token}
    )
    assert refused.status_code == 403
    assert fake.session(grace_sid) is not None
    assert fake.calls_to("DELETE", f"/api/v1/sessions/{grace_sid}") == []
    client.cookies.clear()
    sign_in(client)
    assert client.get("/admin").status_code == 200


def test_i10_23_admin_page_renders_no_session_id(client: TestClient, fake: FakeOkta) -> None:
    """A session id is its ``sid`` cookie: the page shows a keyed fingerprint instead, in
    the sessions table, the revoke forms and the log of calls that reached Okta."""
    sid = sign_in(client)
    other = fake.create_session(GRACE.login)
    page = client.get("/admin").text
    for session_id in (sid, other):
        assert session_id not in page
        assert session_id[:8] not in page
    assert f"#{fingerprint(client, sid)}" in page
    assert f"#{fingerprint(client, other)}" in page
    reply = client.post(
        "/admin/revoke", data={"session": handle(client, other), "csrf_token": csrf_token(page)}
    )
    assert reply.status_code == 200
    assert fake.calls_to("DELETE", f"/api/v1/sessions/{other}")
    page = client.get("/admin").text
    assert other not in page
    assert other[:8] not in page
    assert f"/api/v1/sessions/#{fingerprint(client, other)}" in page


def test_i10_23_revoke_takes_a_handle_not_a_session_id(client: TestClient, fake: FakeOkta) -> None:
    sign_in(client)
    other = fake.create_session(GRACE.login)
    token = csrf_token(client.get("/admin").text)
    by_id = client.post(
        "/admin/revoke", data={"session": other, "csrf_token": token}, follow_redirects=False
    )
    assert by_id.headers["location"] == "/admin?notice=gone"
    assert fake.session(other) is not None
    by_handle = client.post(
        "/admin/revoke",
        data={"session": handle(client, other), "csrf_token": token},
        follow_redirects=False,
    )
    assert by_handle.headers["location"] == "/admin?notice=revoked"
    assert fake.session(other) is None


def test_admin_lists_live_sessions(client: TestClient, fake: FakeOkta) -> None:
    sid = sign_in(client)
    other = fake.create_session(GRACE.login)
    page = client.get("/admin").text
    assert ADA.login in page
    assert GRACE.login in page
    assert "this browser" in page
    assert page.count('action="/admin/revoke"') == 2
    assert fingerprint(client, sid) in page
    assert fingerprint(client, other) in page


def test_admin_revoke_evicts_the_cache_at_once(client: TestClient, fake: FakeOkta) -> None:
    sid = sign_in(client)
    assert client.get("/api/me").status_code == 200
    assert me_calls(fake) == 0
    token = csrf_token(client.get("/admin").text)
    reply = client.post(
        "/admin/revoke",
        data={"session": handle(client, sid), "csrf_token": token},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    # the administrator's own session: signed out now, so not back to a page for admins
    assert reply.headers["location"] == "/?signed_out=1"
    assert fake.session(sid) is None
    assert [c.status for c in fake.calls_to("DELETE", f"/api/v1/sessions/{sid}")] == [204]
    assert client.get("/api/me").status_code == 401  # not served from the cache any more
    assert me_calls(fake) == 1
    client.cookies.clear()
    sign_in(client)
    assert "Session revoked" in client.get("/admin?notice=revoked").text


def test_admin_revoke_of_an_ended_session_says_so(client: TestClient, fake: FakeOkta) -> None:
    sign_in(client)
    other = fake.create_session(GRACE.login)
    token = csrf_token(client.get("/admin").text)
    fake.revoke(other)  # ended between the page and the click
    reply = client.post(
        "/admin/revoke",
        data={"session": handle(client, other), "csrf_token": token},
        follow_redirects=False,
    )
    assert reply.headers["location"] == "/admin?notice=gone"


@pytest.mark.parametrize(
    "headers",
    [{"origin": "http://evil.example"}, {"referer": "http://evil.example/page"}, {}],
)
def test_admin_revoke_needs_same_origin_or_token(
    client: TestClient, fake: FakeOkta, headers: dict[str, str]
) -> None:
    sid = fake.create_session(ADA.login)
    reply = client.post("/admin/revoke", data={"session": handle(client, sid)}, headers=headers)
    assert reply.status_code == 403
    assert fake.session(sid) is not None
    assert fake.calls == []


def test_admin_revoke_accepts_a_same_origin_post(client: TestClient, fake: FakeOkta) -> None:
    sign_in(client)
    other = fake.create_session(GRACE.login)
    reply = client.post(
        "/admin/revoke",
        data={"session": handle(client, other)},
        headers={"origin": "http://127.0.0.1"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert fake.session(other) is None


def test_admin_page_shows_what_reached_okta(client: TestClient, fake: FakeOkta) -> None:
    sign_in(client)
    other = fake.create_session(GRACE.login)
    token = csrf_token(client.get("/admin").text)
    client.post("/admin/revoke", data={"session": handle(client, other), "csrf_token": token})
    page = client.get("/admin").text
    assert f"/api/v1/sessions/#{fingerprint(client, other)}" in page
    assert "/api/v1/authn" in page


# -- acting at the fake Okta: the event hook tells the app (issue 13) ----------------------

LONG_TTL = 3600.0
"""Far longer than any test: an ended session still cached would be served all along."""


@contextmanager
def served(fake: FakeOkta) -> Iterator[tuple[OktaSessionConfig, str]]:
    """The app on a real server (the fake's deliveries come over HTTP), set up as
    ``python -m example_app`` does, with a cache TTL of an hour: ``(config, base URL)``."""
    config = demo_settings({}, fake, cache_ttl=LONG_TTL)
    with serve_app(fake, config) as base:
        yield config, base


@contextmanager
def browser(base: str, login: str | None = None) -> Iterator[httpx.Client]:
    """A cookie-keeping client of the served app, signed in as ``login`` (a demo user)."""
    with httpx.Client(base_url=base, headers=HTML) as client:
        if login is not None:
            user = next(u for u in DEMO_USERS if u.login == login)
            sign_in(client, user.login, user.password)
        yield client


def admin_form(admin: httpx.Client, path: str, **fields: str) -> httpx.Response:
    """Post an admin form as the page would (with its CSRF token), not following the
    redirect."""
    token = csrf_token(admin.get("/admin").text)
    return admin.post(path, data={**fields, "csrf_token": token}, follow_redirects=False)


def signed_in(client: httpx.Client) -> bool:
    reply = client.get("/profile", follow_redirects=False)
    assert reply.status_code in (200, 303), reply.status_code
    return reply.status_code == 200


def test_i13_05_end_at_okta_signs_the_browser_out_through_the_event_hook(
    fake: FakeOkta, caplog: pytest.LogCaptureFixture
) -> None:
    """ "End at Okta" ends the session at the fake only (the app calls no revoke); the
    fake's event hook, registered by the admin page's first use, ends it in the cache, so
    its browser is signed out on its next page; the page lists the delivery, and shows
    neither the session id nor the hook's secret (nor does any log)."""
    caplog.set_level(logging.DEBUG)
    with served(fake) as (config, base), browser(base, GRACE.login) as grace:
        grace_sid = grace.cookies["sid"]
        assert signed_in(grace)
        with browser(base, ADA.login) as ada:
            page = ada.get("/admin").text
            assert 'id="event-hook-status"><span class="badge badge-ok">registered' in page
            [hook] = fake.event_hooks
            assert hook.url == f"{base}{config.event_hook_path}"
            assert hook.events == frozenset(config.event_hook_events)
            reply = admin_form(ada, "/admin/okta/end", session=session_handle(config, grace_sid))
            assert reply.headers["location"] == "/admin?notice=ended"
            assert fake.session(grace_sid) is None
            assert fake.calls_to("DELETE", f"/api/v1/sessions/{grace_sid}") == []
            assert not signed_in(grace)
            page = ada.get("/admin?notice=ended").text
            assert "Session ended at Okta" in page
            deliveries = page.split('id="deliveries"', 1)[1].split("</table>", 1)[0]
            assert "<code>user.session.end</code>" in deliveries
            assert "<td>200</td>" in deliveries
            assert grace_sid not in page
            assert config.event_hook_secrets[0] not in page
        assert [(d.event_types, d.status) for d in fake.deliveries] == [
            (("user.session.end",), 200)
        ]
    assert "event hook registered at" in caplog.text
    assert config.event_hook_secrets[0] not in caplog.text


def test_i13_05_clear_sessions_at_okta_signs_out_every_browser_of_the_user(
    fake: FakeOkta,
) -> None:
    with served(fake) as (_, base), browser(base, ADA.login) as ada:
        with browser(base, GRACE.login) as laptop, browser(base, GRACE.login) as phone:
            assert signed_in(laptop) and signed_in(phone)
            grace = next(u for u in fake.users if u.login == GRACE.login)
            reply = admin_form(ada, "/admin/okta/clear", user_id=grace.id)
            assert reply.headers["location"] == "/admin?notice=cleared"
            assert not signed_in(laptop)
            assert not signed_in(phone)
            assert signed_in(ada)  # another user's sessions live on
        [delivery] = fake.deliveries
        assert delivery.event_types == (
            "user.session.clear",
            "user.session.end",
            "user.session.end",
        )
        assert delivery.ok
        again = admin_form(ada, "/admin/okta/clear", user_id=grace.id)
        assert again.headers["location"] == "/admin?notice=none"
        ada_user = next(u for u in fake.users if u.login == ADA.login)
        own = admin_form(ada, "/admin/okta/clear", user_id=ada_user.id)
        assert own.headers["location"] == "/?signed_out=1"  # the admin's own: signed out
        assert not signed_in(ada)


def test_i13_05_suspend_at_okta_signs_the_user_out_and_spares_the_admins(
    fake: FakeOkta,
) -> None:
    with served(fake) as (_, base), browser(base, ADA.login) as ada:
        ada_user, grace_user = (
            next(u for u in fake.users if u.login == d.login) for d in (ADA, GRACE)
        )
        page = ada.get("/admin").text
        users = page.split('id="users"', 1)[1].split("</table>", 1)[0]
        assert users.count('action="/admin/okta/suspend"') == 1  # Grace's, not Ada's
        with browser(base, GRACE.login) as grace:
            reply = admin_form(ada, "/admin/okta/suspend", user_id=grace_user.id)
            assert reply.headers["location"] == "/admin?notice=suspended"
            assert not signed_in(grace)
            token = csrf_token(grace.get("/login").text)
            form = {"username": GRACE.login, "password": GRACE.password, "csrf_token": token}
            assert grace.post("/login", data=form).status_code == 401
        assert [d.event_types for d in fake.deliveries] == [("user.lifecycle.suspend",)]
        for user in (ada_user, grace_user):  # an admin, then a user already suspended
            refused = admin_form(ada, "/admin/okta/suspend", user_id=user.id)
            assert refused.headers["location"] == "/admin?notice=none"
        assert {u.login: u.status for u in fake.users} == {
            ADA.login: "ACTIVE",
            GRACE.login: "SUSPENDED",
        }
        assert signed_in(ada)


@pytest.mark.parametrize("path", ["/admin/okta/end", "/admin/okta/clear", "/admin/okta/suspend"])
def test_i13_05_acting_at_okta_is_for_administrators_and_the_sites_own_forms(
    client: TestClient, fake: FakeOkta, path: str
) -> None:
    grace_sid = fake.create_session(GRACE.login)
    grace = next(u for u in fake.users if u.login == GRACE.login)
    fields = {"session": handle(client, grace_sid), "user_id": grace.id}
    anonymous = client.post(path, data=fields, headers={"origin": "http://127.0.0.1"})
    assert anonymous.status_code == 401
    sign_in(client)
    foreign = client.post(path, data=fields, headers={"origin": "http://evil.example"})
    assert foreign.status_code == 403
    client.cookies.clear()
    sign_in(client, GRACE.login, GRACE.password)
    token = csrf_token(client.get("/profile").text)
    not_admin = client.post(path, data={**fields, "csrf_token": token})
    assert not_admin.status_code == 403
    assert "Administrators only" in not_admin.text
    assert fake.session(grace_sid) is not None
    assert grace.status == "ACTIVE" == next(u.status for u in fake.users if u.id == grace.id)
    assert fake.log_events == []


def test_i13_05_a_hook_that_cannot_be_registered_is_shown_not_fatal(fake: FakeOkta) -> None:
    """Without a secret the endpoint refuses everything, so nothing is registered; with
    one, a server Okta cannot reach fails verification: the admin page says so each time
    (and tries again), and acting at Okta still works, the app then told nothing."""
    with TestClient(create_app(settings(fake), fake=fake), base_url="http://127.0.0.1") as c:
        sign_in(c)
        page = c.get("/admin")
        assert page.status_code == 200
        assert "The event hook is not registered: no event_hook_secrets set" in page.text
    config = demo_settings({}, fake)
    with TestClient(create_app(config, fake=fake), base_url="http://127.0.0.1:9") as c:
        ada_sid = sign_in(c)  # the test client serves no socket: port 9 answers nothing
        grace_sid = fake.create_session(GRACE.login)
        for _ in range(2):
            page = c.get("/admin").text
            assert "The event hook is not registered: event hook http://127.0.0.1:9" in page
            assert "failed verification" in page
            assert config.event_hook_secrets[0] not in page
        reply = c.post(
            "/admin/okta/end",
            data={"session": handle(c, grace_sid), "csrf_token": csrf_token(page)},
            follow_redirects=False,
        )
        assert reply.headers["location"] == "/admin?notice=unhooked"
        assert fake.session(grace_sid) is None
        assert fake.event_hooks == [] and fake.deliveries == []
        assert "no event hook is registered" in c.get("/admin?notice=unhooked").text
        assert fake.session(ada_sid) is not None


# -- real-org mode and the command -------------------------------------------------------


def test_without_a_fake_there_is_no_admin_page_nor_demo_users(fake: FakeOkta) -> None:
    with TestClient(create_app(settings(fake)), base_url="http://127.0.0.1") as client:
        assert client.get("/admin").status_code == 404
        assert client.post("/admin/revoke", data={"session": "x"}).status_code == 404
        page = client.get("/login").text
        assert "Demo accounts" not in page
        assert 'href="/admin"' not in page
        sign_in(client)  # sign-in works the same on any org
        assert client.get("/api/me").json()["login"] == ADA.login


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_API_TOKEN": "00abc"}, True),
        ({"OKTA_ORG_URL": " ", "OKTA_API_TOKEN": ""}, False),
    ],
)
def test_real_org_is_chosen_by_both_variables(environ: dict[str, str], expected: bool) -> None:
    assert real_org(environ) is expected


@pytest.mark.parametrize("name", ["OKTA_ORG_URL", "OKTA_API_TOKEN"])
def test_half_a_real_org_is_an_error(name: str) -> None:
    with pytest.raises(SystemExit, match="set but"):
        real_org({name: "https://acme.okta.com"})


def test_settings_take_the_environment_over_the_app_defaults() -> None:
    config = app_settings(
        {"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_CACHE_TTL": "15"}, api_token="t"
    )
    assert config.cache_ttl == 15
    assert config.exempt_paths == ("/static", "/healthz")
    assert config.post_logout_redirect == "/?signed_out=1"
    overridden = app_settings(
        {"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_EXEMPT_PATHS": "/assets"}
    )
    assert overridden.exempt_paths == ("/assets",)


def test_session_activity_is_bounded_and_notes_refreshes() -> None:
    now = [1_800_000_000.0]
    activity = SessionActivity(maxsize=2, clock=lambda: now[0])

    def session(sid: str, expires: str) -> Session:
        return Session.from_okta({"id": sid, "status": "ACTIVE", "expiresAt": expires})

    first = activity.observe(session("a", "2027-01-01T00:00:00.000Z"), from_okta=True)
    assert first.checked_at is not None
    assert first.refreshed_at is None
    now[0] += 5
    same = activity.observe(session("a", "2027-01-01T00:00:00.000Z"), from_okta=False)
    assert same.checked_at == first.checked_at
    later = activity.observe(session("a", "2027-01-01T00:10:00.000Z"), from_okta=False)
    assert later.refreshed_at is not None
    assert later.refreshed_at > first.checked_at
    activity.observe(session("b", "2027-01-01T00:00:00.000Z"), from_okta=True)
    activity.observe(session("c", "2027-01-01T00:00:00.000Z"), from_okta=True)
    fresh = activity.observe(session("a", "2027-01-01T00:10:00.000Z"), from_okta=False)
    assert fresh.checked_at is None  # "a" was forgotten (oldest of three, max two)


@contextmanager
def run_command(port: int, **okta_env: str) -> Iterator[str]:
    """``python -m example_app --port PORT`` with only ``okta_env`` of the OKTA_* variables;
    yields its banner once the app answers, and stops it with Ctrl-C (SIGINT) after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKTA_")}
    env.update(okta_env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "example_app", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = read_until(proc, "Ctrl-C stops")
        deadline = time.monotonic() + 15
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).text == "ok"
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield banner
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
            if proc.stdout is not None:
                proc.stdout.close()
    assert proc.returncode == 0


def free_port() -> int:
    with held_port() as port:
        return port


def test_the_command_starts_the_fake_and_the_app() -> None:
    """``python -m example_app --port N``: banner with demo users, then a working app."""
    port = free_port()
    with run_command(port) as banner:
        for user in DEMO_USERS:
            assert user.login in banner
            assert user.password in banner
        assert f"http://127.0.0.1:{port}" in banner
        assert httpx.get(f"http://127.0.0.1:{port}/api/me").status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/admin").status_code == 401  # admins only
        hook = f"http://127.0.0.1:{port}/okta/event-hook"
        assert hook in banner  # its secret is made for the run and never printed
        assert httpx.post(hook, json={}, headers={"authorization": "guess"}).status_code == 401


def test_the_command_uses_the_org_the_environment_names(fake: FakeOkta) -> None:
    """With OKTA_ORG_URL and OKTA_API_TOKEN (here: a fake served by the test, standing in
    for a real org) the command starts no fake of its own and shows no admin page."""
    assert fake.base_url is not None
    port = free_port()
    env = {"OKTA_ORG_URL": fake.base_url, "OKTA_API_TOKEN": fake.api_token}
    with run_command(port, **env) as banner:
        assert fake.base_url in banner
        assert "Demo users" not in banner
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/admin").status_code == 404
        with httpx.Client(base_url=base) as browser:
            token = csrf_token(browser.get("/login").text)
            form = {"username": ADA.login, "password": ADA.password, "csrf_token": token}
            assert browser.post("/login", data=form).status_code == 303
            assert browser.get("/api/me").json()["login"] == ADA.login
    assert [c.path for c in fake.calls[:2]] == ["/api/v1/authn", "/api/v1/sessions"]


def test_the_command_refuses_a_busy_port() -> None:
    with held_port() as port:
        done = subprocess.run(
            [sys.executable, "-m", "example_app", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode != 0
    assert f"port {port} is in use" in done.stderr


def read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 20) -> str:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError("no banner; output was:\n" + "".join(seen))


@contextmanager
def held_port() -> Iterator[int]:
    """A loopback port bound (and listening) for the block, free again after it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (30, "30 seconds"),
        (60, "1 minute"),
        (300, "5 minutes"),
        (90, "1.5 minutes"),
        (7200, "2 hours"),
    ],
)
def test_settings_are_shown_in_words(seconds: float, words: str) -> None:
    assert duration(seconds) == words


def test_i10_01_login_csrf_the_attackers_token_does_not_work_in_the_victims_browser(
    client: TestClient, fake: FakeOkta
) -> None:
    mallory = DEMO_USERS[1]  # the attacker's own account, to be signed in as the victim
    attackers_token = csrf_token(client.get("/login").text)  # fetched in the attacker's browser
    client.cookies.clear()  # ... and now the victim's browser
    victims_token = csrf_token(client.get("/login").text)
    forged = {"username": mallory.login, "password": mallory.password, "next": "/profile"}
    reply = client.post("/login", data={**forged, "csrf_token": attackers_token})
    assert reply.status_code == 403
    assert client.cookies.get("okta_mw_csrf")  # the victim's own nonce
    # a valid token does not help a cross-site page either
    cross_site = client.post(
        "/login",
        data={**forged, "csrf_token": victims_token},
        headers={"origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    assert fake.calls == [] and client.cookies.get("sid") is None  # nobody was signed in
    own = client.post(
        "/login", data={**forged, "csrf_token": victims_token}, follow_redirects=False
    )
    assert own.status_code == 303  # the form still works in the browser it was given to
