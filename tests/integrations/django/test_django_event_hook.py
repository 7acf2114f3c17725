"""The Django adapter's Okta Event Hook views (issue 13, item 1), through Django's test
clients (WSGI ``Client``, ASGI ``AsyncClient``) and, end to end, behind a real threaded
WSGI server that the fake Okta delivers its System Log events to over loopback:
verification, the secret (401 before the body is read under WSGI, rotation), ends by
session id and by user, duplicates, malformed and oversized bodies, CSRF, and no secret
header on Django's error page."""

from __future__ import annotations

import io
import json
from typing import Any

import django_project
import httpx
import pytest
from django.test import AsyncClient, Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.fake_log_json import NO_SESSION, hook_envelope, log_event
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN
from tests.support.pushed_ends import assert_signed_out_by_deliveries

django_project.configure()

SECRET, NEXT_SECRET = "django-hook-secret-0123456789", "django-hook-secret-9876543210"
HOOK = "/okta/event-hook"


@pytest.fixture
def hooked(okta: FakeOkta, settings: SettingsWrapper) -> FakeOkta:
    """The fake Okta, and ``OKTA_SESSION`` accepting both secrets of a rotation."""
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "EVENT_HOOK_SECRETS": [SECRET, NEXT_SECRET]}
    return okta


def event(okta: FakeOkta, kind: str, session_id: str = NO_SESSION) -> dict[str, Any]:
    """A System Log event in Okta's shape (the fake's own writer) about the demo user;
    with a ``session_id``, about that session only (an app's actor, no user target)."""
    user = okta.users[0]
    made = log_event(kind, actor=user, target=user, external_session_id=session_id,
                     transaction_id="tx1", request_uri="/x", published=okta.now())  # fmt: skip
    if session_id != NO_SESSION:
        made.update(actor={"id": "0oaSomeApp0000001", "type": "PublicClientApp"}, target=[])
    return made


def delivery(okta: FakeOkta, *events: dict[str, Any]) -> bytes:
    body = hook_envelope(list(events), org_url=str(okta.base_url), hook_id="who",
                         event_time=okta.now())  # fmt: skip
    return json.dumps(body).encode()


def deliver(client: Client, body: bytes, secret: str = SECRET, path: str = HOOK) -> int:
    answer = client.post(path, body, "application/json", headers={"Authorization": secret})
    return answer.status_code


def served(okta: FakeOkta, session_id: str) -> str | None:
    body = Client().get("/public/", headers={"Cookie": okta.cookie_header(session_id)}).json()
    value: str | None = body.get("id")
    return value


class RecordedStream(io.BytesIO):
    """A ``wsgi.input`` that counts the reads of it, giving at most ``chunk`` bytes a
    read (as a socket may)."""

    def __init__(self, body: bytes, chunk: int = 1 << 20) -> None:
        super().__init__(body)
        self._chunk, self.reads = chunk, 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(self._chunk if size is None or size < 0 else min(size, self._chunk))


def test_i13_01_django_urls_serve_the_event_hook_at_the_default_path() -> None:
    assert reverse("okta_session:event_hook") == HOOK  # EVENT_HOOK_PATH's default


def test_i13_01_django_answers_the_verification_get(hooked: FakeOkta) -> None:
    challenge = {"X-Okta-Verification-Challenge": "2Lbs_eMp6Pt7gnLTBFMw0JRpT0"}
    answer = Client().get(HOOK, headers={"Authorization": NEXT_SECRET, **challenge})
    assert answer.status_code == 200
    assert answer.json() == {"verification": "2Lbs_eMp6Pt7gnLTBFMw0JRpT0"}
    assert Client().get(HOOK, headers=challenge).status_code == 401  # no secret


@pytest.mark.parametrize("secret", [None, "", SECRET[:-1], SECRET + "x", "Bearer " + SECRET])
def test_i13_01_django_refuses_a_missing_or_wrong_secret_before_reading_the_body(
    hooked: FakeOkta, secret: str | None
) -> None:
    session_id = hooked.create_session(DEMO_LOGIN)
    assert served(hooked, session_id) == session_id
    body = delivery(hooked, event(hooked, "user.session.end", session_id))
    stream = RecordedStream(body)
    environ: dict[str, Any] = {"wsgi.input": stream, "CONTENT_LENGTH": str(len(body))}
    if secret is not None:
        environ["HTTP_AUTHORIZATION"] = secret
    answer = Client().generic("POST", HOOK, **environ)
    assert answer.status_code == 401 and stream.reads == 0
    assert served(hooked, session_id) == session_id  # nothing ended


def test_i13_01_django_with_no_secret_configured_refuses_everything(okta: FakeOkta) -> None:
    for secret in ("", SECRET):
        assert deliver(Client(), delivery(okta), secret) == 401


def test_i13_01_django_accepts_both_secrets_of_a_rotation(hooked: FakeOkta) -> None:
    first, second = hooked.create_session(DEMO_LOGIN), hooked.create_session(DEMO_LOGIN)
    for session_id in (first, second):
        assert served(hooked, session_id) == session_id
    assert deliver(Client(), delivery(hooked, event(hooked, "user.session.end", first))) == 200
    body = delivery(hooked, event(hooked, "user.session.end", second))
    assert deliver(Client(), body, NEXT_SECRET) == 200
    assert served(hooked, first) is None  # still live at Okta: ended by the push
    assert served(hooked, second) is None


def test_i13_01_django_delivery_ends_a_session_by_id_and_a_users_sessions(
    hooked: FakeOkta,
) -> None:
    """Under CsrfViewMiddleware with its checks enforced: Okta has no CSRF cookie."""
    okta, client = hooked, Client(enforce_csrf_checks=True)
    okta.add_user("bob@example.com", "pw")
    ended, mine, also_mine = (okta.create_session(DEMO_LOGIN) for _ in range(3))
    bobs = okta.create_session("bob@example.com")
    for session_id in (ended, mine, also_mine, bobs):
        assert served(okta, session_id) == session_id
    assert deliver(client, delivery(okta, event(okta, "user.session.end", ended))) == 200
    assert served(okta, ended) is None
    assert served(okta, mine) == mine  # the same user's other session lives on
    okta.revoke_user_sessions(okta.users[0].id)  # no hook registered: nothing pushed yet
    assert served(okta, also_mine) == also_mine  # the cache still trusts it
    assert deliver(client, delivery(okta, event(okta, "user.lifecycle.suspend"))) == 200
    assert [served(okta, s) for s in (mine, also_mine)] == [None, None]
    okta.clear_calls()
    assert served(okta, bobs) == bobs
    assert okta.calls == []  # Bob's session is still a cache hit


def test_i13_01_django_a_duplicate_delivery_is_harmless(hooked: FakeOkta) -> None:
    old = hooked.create_session(DEMO_LOGIN)
    assert served(hooked, old) == old
    body = delivery(hooked, event(hooked, "user.session.clear"))
    assert deliver(Client(), body) == 200
    new = hooked.create_session(DEMO_LOGIN)
    assert served(hooked, new) == new
    hooked.clear_calls()
    assert deliver(Client(), body) == 200  # Okta's retry: same event uuid
    assert served(hooked, new) == new
    assert hooked.calls == []  # the retry evicted nothing


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[]", b'{"data": {"events": 1}}'])
def test_i13_01_django_a_malformed_body_is_400(hooked: FakeOkta, body: bytes) -> None:
    answer = Client().post(HOOK, body, "application/json", headers={"Authorization": SECRET})
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"


def test_i13_01_django_refuses_an_oversized_body_by_its_length_unread(hooked: FakeOkta) -> None:
    stream = RecordedStream(b"{}")
    environ: dict[str, Any] = {"wsgi.input": stream, "CONTENT_LENGTH": str(10 << 20),
                               "HTTP_AUTHORIZATION": SECRET}  # fmt: skip
    assert Client().generic("POST", HOOK, **environ).status_code == 413
    assert stream.reads == 0


def test_i13_01_django_reads_a_delivery_whole_from_short_reads(hooked: FakeOkta) -> None:
    """A ``wsgi.input`` that gives 64 KiB a read (as a socket may): a delivery of almost
    the bound is read to its end, not cut at the first read. (Django never reads past
    Content-Length, which the view checks against the bound first.)"""
    session_id = hooked.create_session(DEMO_LOGIN)
    assert served(hooked, session_id) == session_id
    end = event(hooked, "user.session.end", session_id)
    padding = [{"eventType": "user.account.update_profile", "pad": "x" * 1000}] * 900
    body = delivery(hooked, *padding, end)
    assert 900_000 < len(body) < (1 << 20)
    stream = RecordedStream(body, chunk=1 << 16)
    environ: dict[str, Any] = {"wsgi.input": stream, "CONTENT_LENGTH": str(len(body)),
                               "HTTP_AUTHORIZATION": SECRET}  # fmt: skip
    assert Client().generic("POST", HOOK, **environ).status_code == 200
    assert stream.reads > 2
    assert served(hooked, session_id) is None  # the last event was read too


async def test_i13_01_django_asgi_views_answer_and_end_sessions(
    aokta: FakeOkta, settings: SettingsWrapper
) -> None:
    """Under ASGI: the async view (on the server's loop) and the URLconf's sync one."""
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "EVENT_HOOK_SECRETS": [SECRET]}
    client = AsyncClient()
    challenge = {"X-Okta-Verification-Challenge": "abc123", "Authorization": SECRET}
    for path in ("/aevent-hook", HOOK):
        answer = await client.get(path, headers=challenge)
        assert answer.status_code == 200 and answer.json() == {"verification": "abc123"}
        session_id = aokta.create_session(DEMO_LOGIN)
        cookie = {"Cookie": aokta.cookie_header(session_id)}
        assert (await client.get("/apublic/", headers=cookie)).json()["id"] == session_id
        body = delivery(aokta, event(aokta, "user.session.end", session_id))
        for secret, status in (("", 401), (SECRET, 200)):
            headers = {"Authorization": secret}
            answer = await client.post(path, body, "application/json", headers=headers)
            assert answer.status_code == status
        assert (await client.get("/apublic/", headers=cookie)).json().get("id") is None


def test_i13_01_django_error_page_hides_the_configured_secret_header(
    hooked: FakeOkta, settings: SettingsWrapper
) -> None:
    """Django's own filter hides only headers whose names look secret (Authorization):
    the hook's header is hidden on the DEBUG page whatever it is called."""
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "EVENT_HOOK_HEADER": "x-hook-shared"}
    settings.DEBUG = True
    token = hooked.issue_session_token(DEMO_LOGIN)
    client = Client(raise_request_exception=False)
    headers = {"X-Session-Token": token, "X-Hook-Shared": SECRET}
    assert client.post("/header-login/", headers=headers).status_code == 200
    page = client.post("/header-login/", headers=headers)  # a used token: a 500
    assert page.status_code == 500
    html = page.content.decode()
    assert "HTTP_X_HOOK_SHARED" in html and "HTTP_X_SESSION_TOKEN" in html
    assert SECRET not in html


def test_i13_01_django_app_is_signed_out_by_the_fake_oktas_real_deliveries(
    hooked: FakeOkta, wsgi_server: str
) -> None:
    """End to end: the test project behind a real server, its hook registered with (and
    verified by) the fake Okta; a session revoked at Okta, then all of a user's sessions
    cleared there, and each time the browser's next request is signed out."""
    okta = hooked
    with httpx.Client(base_url=wsgi_server, timeout=10) as browser:

        def served_at(session_id: str) -> str | None:
            answer = browser.get("/public/", headers={"cookie": okta.cookie_header(session_id)})
            value: str | None = answer.json().get("id")
            return value

        assert_signed_out_by_deliveries(okta, wsgi_server + HOOK, SECRET, DEMO_LOGIN, served_at)


@pytest.mark.parametrize(
    ("extra", "warned"),
    [
        ({}, False),  # the URLconf includes the adapter's urls under okta/
        ({"EVENT_HOOK_PATH": "/aevent-hook"}, False),  # the project's own path for the view
        ({"EVENT_HOOK_PATH": "/hooks/okta"}, True),  # nothing there: Okta would get 404
        ({"EVENT_HOOK_PATH": "/public/"}, True),  # another view
        ({"EVENT_HOOK_PATH": "/hooks/okta", "EVENT_HOOK_SECRETS": []}, False),  # no hook used
    ],
)
def test_i13_01_django_check_warns_when_event_hook_path_reaches_no_event_hook_view(
    hooked: FakeOkta, settings: SettingsWrapper, extra: dict[str, Any], warned: bool
) -> None:
    from okta_session_mw.integrations.django.checks import check_event_hook_path

    settings.OKTA_SESSION = {**settings.OKTA_SESSION, **extra}
    messages = check_event_hook_path()
    assert [m.id for m in messages] == (["okta_session.W003"] if warned else [])
    if warned:
        assert extra["EVENT_HOOK_PATH"] in messages[0].msg
        assert SECRET not in messages[0].msg + str(messages[0].hint)


def test_i13_01_django_view_without_the_middleware_still_hides_its_header_from_reports(
    hooked: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "OktaSession" not in m]
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "EVENT_HOOK_HEADER": "x-hook-shared"}
    answer = Client().post(HOOK, delivery(hooked), "application/json",
                           headers={"X-Hook-Shared": SECRET})  # fmt: skip
    assert answer.status_code == 200
    request = answer.wsgi_request
    shown = request.exception_reporter_filter.get_safe_request_meta(request)
    assert shown["HTTP_X_HOOK_SHARED"] != SECRET and SECRET not in repr(shown)
