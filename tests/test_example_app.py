"""The example app in a real browser: Debian's headless Chromium, driven by Playwright.

One walk through the whole product against the fake Okta, with the app under a real
uvicorn server: sign in, see the profile, reload without reaching Okta, revoke the
session from the admin page and get sent to sign-in within the cache TTL, sign in again,
sign out, get sent to sign-in. Every page is saved to ``artifacts/screenshots/``.

Playwright comes from PyPI and never downloads a browser: it launches
``/usr/bin/chromium`` (``scripts/test`` installs it). Without it the test fails, unless
``OKTA_SKIP_BROWSER=1`` asks to skip it.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import uvicorn

from example_app import create_app
from example_app.__main__ import demo_settings
from example_app.demo import DEMO_USERS, make_fake_okta
from okta_session_mw import OktaSessionConfig
from okta_session_mw.testing import FakeOkta, serve_fake_okta

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
CACHE_TTL = 30.0
ADA, GRACE = DEMO_USERS


def chromium_or_fail(path: str = CHROMIUM) -> str:
    """``path`` if Chromium is there; else skip (``OKTA_SKIP_BROWSER=1``) or fail, saying how
    to get it."""
    if os.path.exists(path):
        return path
    if os.environ.get("OKTA_SKIP_BROWSER") == "1":
        pytest.skip(f"OKTA_SKIP_BROWSER=1 and no Chromium at {path}")
    pytest.fail(
        f"Debian's Chromium is not installed ({path} is missing). scripts/test installs "
        "it; or run `apt-get install -y chromium`; or set OKTA_SKIP_BROWSER=1 to skip this test.",
        pytrace=False,
    )


@contextmanager
def serve_app(fake: FakeOkta, config: OktaSessionConfig | None = None) -> Iterator[str]:
    """The example app for the served ``fake`` under a real uvicorn server in a thread;
    ``config`` by default as ``python -m example_app`` makes it (with a fresh event hook
    secret), with a cache TTL of ``CACHE_TTL``."""
    config = config or demo_settings({}, fake, cache_ttl=CACHE_TTL)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, fake=fake),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            ws="none",
        )
    )
    thread = threading.Thread(target=server.run, name="example-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.browser
def test_the_whole_flow_in_chromium() -> None:
    executable = chromium_or_fail()
    from playwright.sync_api import Page, expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    fake = make_fake_okta()
    with serve_fake_okta(fake), serve_app(fake) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 860})
            context.set_default_timeout(10_000)
            page = context.new_page()

            def shot(name: str) -> None:
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

            def sid() -> str:
                values = [c["value"] for c in context.cookies() if c["name"] == "sid"]
                assert len(values) == 1, "expected exactly one sid cookie"
                return values[0]

            def expect_sent_to_sign_in(p: Page) -> None:
                expect(p).to_have_url(re.compile(r"/login\?next=%2Fprofile$"))
                expect(p.locator("#login-form")).to_be_visible()

            def sign_in() -> None:
                page.fill("#username", ADA.login)
                page.fill("#password", ADA.password)
                page.click("#sign-in")
                expect(page).to_have_url(f"{base}/profile")

            # Home, anonymous: a sign-in link.
            page.goto(f"{base}/")
            expect(page.locator("#sign-in-link")).to_be_visible()
            shot("01-home-anonymous")
            page.goto(f"{base}/admin")  # the admin page wants a signed-in administrator
            expect(page).to_have_url(re.compile(r"/login\?next=%2Fadmin$"))

            # The profile sends an anonymous browser to sign-in; a wrong password is refused.
            page.goto(f"{base}/profile")
            expect_sent_to_sign_in(page)
            shot("02-sign-in")
            page.fill("#username", ADA.login)
            page.fill("#password", "not-the-password")
            page.click("#sign-in")
            expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
            shot("03-sign-in-wrong-password")

            # Sign in: authn, CreateSession, sid cookie, back to the profile.
            sign_in()
            first_sid = sid()
            live = fake.session(first_sid)
            assert live is not None
            expect(page.locator("#session-login")).to_have_text(ADA.login)
            expect(page.locator("#session-user-id")).to_have_text(live.user_id)
            expect(page.locator("#session-status")).to_have_text("ACTIVE")
            expect(page.locator("#session-amr")).to_contain_text("Password")
            expect(page.locator("#countdown")).to_have_text(re.compile(r"^1[45]:\d\d left$"))
            page.click("[data-fetch='/api/me']")
            expect(page.locator("#api-me")).to_contain_text(f'"login": "{ADA.login}"')
            shot("04-profile")

            # Reload: the middleware answers from its cache; nothing reaches Okta.
            calls_before = len(fake.calls)
            page.reload()
            expect(page.locator("#served-from")).to_have_text("Served from cache")
            expect(page.locator("#session-login")).to_have_text(ADA.login)
            assert fake.calls[calls_before:] == []
            assert fake.calls_to("GET", "/api/v1/sessions/me") == []
            shot("05-profile-reloaded-from-cache")

            # The admin page is for administrators (Ada is the demo's) and shows each
            # session by a fingerprint, never its id (the sid cookie's value).
            grace_sid = fake.create_session(GRACE.login)
            page.goto(f"{base}/admin")
            html = page.content()
            assert first_sid not in html
            assert grace_sid not in html
            row = page.locator("#sessions tr", has_text="this browser")
            expect(row).to_have_count(1)
            shot("06-admin")

            # Revoke Grace's session from there.
            grace_row = page.locator("#sessions tr", has_text=GRACE.login)
            grace_row.get_by_role("button", name="Revoke").click()
            expect(page).to_have_url(f"{base}/admin?notice=revoked")
            expect(page.locator("#admin-notice")).to_be_visible()
            expect(page.locator("#sessions tr", has_text=GRACE.login)).to_have_count(0)
            assert fake.session(grace_sid) is None
            shot("07-admin-after-revoke")

            # Revoke this browser's own session: the admin page says it is signed out.
            row.get_by_role("button", name="Revoke").click()
            revoked_at = time.monotonic()
            expect(page).to_have_url(f"{base}/?signed_out=1")
            assert fake.session(first_sid) is None
            assert fake.calls_to("DELETE", f"/api/v1/sessions/{first_sid}")

            # The profile sends the browser to sign-in within the cache TTL (here: at once,
            # because revoking evicted the cache entry).
            while True:
                page.goto(f"{base}/profile")
                if "/login" in page.url:
                    break
                assert time.monotonic() - revoked_at < CACHE_TTL, "revoked session still served"
                time.sleep(0.5)
            expect_sent_to_sign_in(page)
            shot("08-sign-in-after-revoke")

            # Sign in again: a new session.
            sign_in()
            second_sid = sid()
            assert second_sid != first_sid
            expect(page.locator("#session-login")).to_have_text(ADA.login)
            shot("09-profile-signed-in-again")
            page.goto(f"{base}/")
            expect(page.get_by_role("heading", name="Welcome back, Ada Lovelace")).to_be_visible()
            shot("10-home-signed-in")

            # Sign out (POST with the CSRF token): Okta closes the session.
            page.click("#sign-out")
            expect(page).to_have_url(f"{base}/?signed_out=1")
            expect(page.get_by_text("You have signed out.")).to_be_visible()
            expect(page.locator("#sign-in-link")).to_be_visible()
            assert fake.session(second_sid) is None
            assert fake.calls_to("DELETE", "/api/v1/sessions/me")
            assert [c for c in context.cookies() if c["name"] == "sid"] == []
            shot("11-home-signed-out")

            # The profile redirects to sign-in again.
            page.goto(f"{base}/profile")
            expect_sent_to_sign_in(page)
            shot("12-profile-redirects-to-sign-in")
        finally:
            browser.close()


LONG_TTL = 3600.0
"""Far longer than the test: without the event hook the ended session would be served."""


@pytest.mark.browser
def test_i13_05_a_session_ended_at_okta_is_signed_out_on_its_next_page() -> None:
    """Grace is signed in (her session cached for an hour); Ada, in another browser,
    ends it at the fake Okta from the admin page; Okta's event hook tells the app, the
    admin page lists the delivery, and Grace's next page is the sign-in form."""
    executable = chromium_or_fail()
    from playwright.sync_api import Page, expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    fake = make_fake_okta()
    with ExitStack() as stack:
        stack.enter_context(serve_fake_okta(fake))
        config = demo_settings({}, fake, cache_ttl=LONG_TTL)
        (hook_secret,) = config.event_hook_secrets
        base = stack.enter_context(serve_app(fake, config))
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:

            def signed_in_page(login: str, password: str) -> Page:
                context = browser.new_context(viewport={"width": 1280, "height": 860})
                context.set_default_timeout(10_000)
                page = context.new_page()
                page.goto(f"{base}/login?next=%2Fprofile")
                page.fill("#username", login)
                page.fill("#password", password)
                page.click("#sign-in")
                expect(page).to_have_url(f"{base}/profile")
                return page

            grace = signed_in_page(GRACE.login, GRACE.password)
            grace.reload()
            expect(grace.locator("#served-from")).to_have_text("Served from cache")
            (grace_sid,) = [c["value"] for c in grace.context.cookies() if c["name"] == "sid"]

            ada = signed_in_page(ADA.login, ADA.password)
            ada.goto(f"{base}/admin")
            expect(ada.locator("#event-hook-status")).to_contain_text("registered")
            expect(ada.locator("#deliveries")).to_contain_text("No deliveries yet.")
            row = ada.locator("#sessions tr", has_text=GRACE.login)
            row.get_by_role("button", name="End at Okta").click()
            expect(ada).to_have_url(f"{base}/admin?notice=ended")
            delivered = ada.locator("#deliveries tbody tr", has_text="user.session.end")
            expect(delivered).to_have_count(1)
            expect(delivered).to_contain_text("200")
            ada.screenshot(
                path=str(SCREENSHOTS / "i13-admin-after-end-at-okta.png"), full_page=True
            )
            html = ada.content()
            assert grace_sid not in html
            assert hook_secret not in html

            # Ended at Okta, not through the app: the app never asked Okta to revoke it.
            assert fake.session(grace_sid) is None
            assert fake.calls_to("DELETE", f"/api/v1/sessions/{grace_sid}") == []
            [delivery] = fake.deliveries
            assert (delivery.event_types, delivery.status) == (("user.session.end",), 200)

            # Grace's next page, well within the hour her session was cached for.
            grace.goto(f"{base}/profile")
            expect(grace).to_have_url(re.compile(r"/login\?next=%2Fprofile$"))
            expect(grace.locator("#login-form")).to_be_visible()
            grace.screenshot(path=str(SCREENSHOTS / "i13-signed-out-after-end-at-okta.png"))
        finally:
            browser.close()


def test_a_missing_chromium_fails_with_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OKTA_SKIP_BROWSER", raising=False)
    with pytest.raises(pytest.fail.Exception, match="scripts/test installs it"):
        chromium_or_fail(str(tmp_path / "chromium"))


def test_a_missing_chromium_is_skipped_on_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OKTA_SKIP_BROWSER", "1")
    with pytest.raises(pytest.skip.Exception, match="OKTA_SKIP_BROWSER=1"):
        chromium_or_fail(str(tmp_path / "chromium"))
