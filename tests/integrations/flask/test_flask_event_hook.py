"""The Flask extension's Okta Event Hook route (issue 13, item 1), through Flask's test
client and, end to end, behind a real threaded WSGI server that the fake Okta delivers
its System Log events to over loopback: verification, the secret (401 before the body
is read, rotation, the header and path from the settings), ends by session id and by
user, duplicates, malformed and oversized bodies."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from okta_session_mw.integrations.flask import OktaSession
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.fake_log_json import NO_SESSION, hook_envelope, log_event
from okta_session_mw.web.event_hook import MAX_BODY_BYTES
from tests.support.flask_apps import add_routes, flask_app, okta_settings
from tests.support.okta_users import LOGIN
from tests.support.pushed_ends import assert_signed_out_by_deliveries
from tests.support.servers import serve_wsgi_threaded

SECRET, NEXT_SECRET = "flask-hook-secret-0123456789", "flask-hook-secret-9876543210"
HOOK = "/okta/event-hook"
HOOK_SETTINGS = {"OKTA_EVENT_HOOK_SECRETS": [SECRET, NEXT_SECRET]}


@pytest.fixture
def app(okta: FakeOkta) -> Iterator[Flask]:
    with flask_app(**okta_settings(okta, **HOOK_SETTINGS)) as (flask, _):
        yield flask


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client(use_cookies=False)


def event(okta: FakeOkta, kind: str, session_id: str = NO_SESSION) -> dict[str, Any]:
    """A System Log event in Okta's shape (the fake's own writer) about ``LOGIN``; with
    a ``session_id``, about that session only (an app's actor, no user target)."""
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


def deliver(client: FlaskClient, body: bytes, secret: str = SECRET) -> int:
    headers = {"authorization": secret, "content-type": "application/json"}
    return client.post(HOOK, data=body, headers=headers).status_code


def served(client: FlaskClient, okta: FakeOkta, session_id: str) -> str | None:
    answer = client.get("/", headers={"cookie": okta.cookie_header(session_id)}).json
    assert answer is not None
    value: str | None = answer["g"]
    return value


class RecordedStream(io.BytesIO):
    """A request body that counts the reads of it, giving at most ``chunk`` bytes a read
    (as a socket may)."""

    def __init__(self, body: bytes, chunk: int = 1 << 20) -> None:
        super().__init__(body)
        self._chunk, self.reads = chunk, 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(self._chunk if size is None or size < 0 else min(size, self._chunk))

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_i13_01_flask_answers_the_verification_get(client: FlaskClient) -> None:
    challenge = {"x-okta-verification-challenge": "2Lbs_eMp6Pt7gnLTBFMw0JRpT0"}
    answer = client.get(HOOK, headers={"authorization": NEXT_SECRET, **challenge})
    assert answer.status_code == 200
    assert answer.json == {"verification": "2Lbs_eMp6Pt7gnLTBFMw0JRpT0"}
    assert client.get(HOOK, headers=challenge).status_code == 401  # no secret


@pytest.mark.parametrize("secret", [None, "", SECRET[:-1], SECRET + "x", "Bearer " + SECRET])
def test_i13_01_flask_refuses_a_missing_or_wrong_secret_before_reading_the_body(
    client: FlaskClient, okta: FakeOkta, secret: str | None
) -> None:
    session_id = okta.create_session(LOGIN)
    assert served(client, okta, session_id) == session_id
    body = delivery(okta, event(okta, "user.session.end", session_id))
    stream = RecordedStream(body)
    headers = {} if secret is None else {"authorization": secret}
    answer = client.post(HOOK, input_stream=stream, content_length=len(body), headers=headers)
    assert answer.status_code == 401 and stream.reads == 0
    assert served(client, okta, session_id) == session_id  # nothing ended


def test_i13_01_flask_accepts_both_secrets_of_a_rotation(
    client: FlaskClient, okta: FakeOkta
) -> None:
    first, second = okta.create_session(LOGIN), okta.create_session(LOGIN)
    for session_id in (first, second):
        assert served(client, okta, session_id) == session_id
    assert deliver(client, delivery(okta, event(okta, "user.session.end", first))) == 200
    body = delivery(okta, event(okta, "user.session.end", second))
    assert deliver(client, body, NEXT_SECRET) == 200
    assert served(client, okta, first) is None  # still live at Okta: ended by the push
    assert served(client, okta, second) is None


def test_i13_01_flask_delivery_ends_a_session_by_id_and_a_users_sessions(
    client: FlaskClient, okta: FakeOkta
) -> None:
    okta.add_user("bob@example.com", "pw")
    ended, mine, also_mine = (okta.create_session(LOGIN) for _ in range(3))
    bobs = okta.create_session("bob@example.com")
    for session_id in (ended, mine, also_mine, bobs):
        assert served(client, okta, session_id) == session_id
    assert deliver(client, delivery(okta, event(okta, "user.session.end", ended))) == 200
    assert served(client, okta, ended) is None
    assert served(client, okta, mine) == mine  # the same user's other session lives on
    okta.revoke_user_sessions(okta.users[0].id)  # no hook registered: nothing pushed yet
    assert served(client, okta, also_mine) == also_mine  # the cache still trusts it
    assert deliver(client, delivery(okta, event(okta, "user.session.clear"))) == 200
    assert [served(client, okta, s) for s in (mine, also_mine)] == [None, None]
    okta.clear_calls()
    assert served(client, okta, bobs) == bobs
    assert okta.calls == []  # Bob's session is still a cache hit


def test_i13_01_flask_a_duplicate_delivery_is_harmless(client: FlaskClient, okta: FakeOkta) -> None:
    old = okta.create_session(LOGIN)
    assert served(client, okta, old) == old
    body = delivery(okta, event(okta, "user.session.clear"))
    assert deliver(client, body) == 200
    new = okta.create_session(LOGIN)
    assert served(client, okta, new) == new
    okta.clear_calls()
    assert deliver(client, body) == 200  # Okta's retry: same event uuid
    assert served(client, okta, new) == new
    assert okta.calls == []  # the retry evicted nothing


@pytest.mark.parametrize("body", [b"not json", b"\xff\xfe", b"[]", b'{"data": {"events": 1}}'])
def test_i13_01_flask_a_malformed_body_is_400(client: FlaskClient, body: bytes) -> None:
    answer = client.post(HOOK, data=body, headers={"authorization": SECRET})
    assert answer.status_code == 400
    assert answer.json is not None and answer.json["error"] == "bad_request"


def test_i13_01_flask_refuses_an_oversized_body_by_its_length_unread(client: FlaskClient) -> None:
    stream = RecordedStream(b"{}")
    environ = {"CONTENT_LENGTH": str(10 << 20), "HTTP_AUTHORIZATION": SECRET}
    answer = client.post(HOOK, input_stream=stream, environ_overrides=environ)
    assert answer.status_code == 413 and stream.reads == 0


def test_i13_01_flask_reads_a_body_of_unknown_length_no_further_than_the_bound(
    client: FlaskClient,
) -> None:
    """A chunked body (an empty Content-Length) that a server hands over 64 KiB a read:
    read to one byte past the bound, then refused; one under the bound is read whole."""
    pad = b'{"data": {"events": []}, "pad": "'
    big = RecordedStream(pad + b"x" * MAX_BODY_BYTES + b'"}', chunk=1 << 16)
    environ = {"wsgi.input_terminated": True, "CONTENT_LENGTH": "", "HTTP_AUTHORIZATION": SECRET}
    answer = client.post(HOOK, input_stream=big, environ_overrides=environ)
    assert answer.status_code == 413
    assert big.tell() == MAX_BODY_BYTES + 1
    fits = pad + b"x" * (MAX_BODY_BYTES - len(pad) - 2) + b'"}'
    whole = RecordedStream(fits, chunk=1 << 16)
    assert client.post(HOOK, input_stream=whole, environ_overrides=environ).status_code == 200
    assert whole.reads > 2


def test_i13_01_flask_route_takes_its_path_and_header_from_the_settings(okta: FakeOkta) -> None:
    settings = okta_settings(
        okta, OKTA_EVENT_HOOK_SECRETS=SECRET, OKTA_EVENT_HOOK_PATH="/hooks/okta",
        OKTA_EVENT_HOOK_HEADER="x-hook",
    )  # fmt: skip
    with flask_app(**settings) as (app, _):
        client = app.test_client()
        body = delivery(okta)
        path_and_header = [("/hooks/okta", "x-hook"), ("/hooks/okta", "authorization"),
                           (HOOK, "x-hook")]  # fmt: skip
        statuses = [client.post(path, data=body, headers={header: SECRET}).status_code
                    for path, header in path_and_header]  # fmt: skip
        assert statuses == [200, 401, 404]
        with app.test_request_context():
            from flask import url_for

            assert url_for("okta_session.event_hook") == "/hooks/okta"


def test_i13_01_flask_event_hook_route_false_leaves_it_out(okta: FakeOkta) -> None:
    app = Flask(__name__)
    app.config.update(okta_settings(okta, **HOOK_SETTINGS))
    extension = OktaSession(app, event_hook_route=False)
    add_routes(app)
    try:
        client = app.test_client()
        answer = client.post(HOOK, data=delivery(okta), headers={"authorization": SECRET})
        assert answer.status_code == 404
        assert client.post("/logout", headers={"origin": "http://localhost"}).status_code == 204
    finally:
        extension.close()


def test_i13_01_flask_app_is_signed_out_by_the_fake_oktas_real_deliveries(
    app: Flask, okta: FakeOkta
) -> None:
    """End to end: the app behind a real server, its hook registered with (and verified
    by) the fake Okta; a session revoked at Okta, then all of a user's sessions cleared
    there, and each time the browser's next request is signed out."""
    with serve_wsgi_threaded(app) as url, httpx.Client(base_url=url, timeout=10) as browser:

        def served_at(session_id: str) -> str | None:
            answer = browser.get("/", headers={"cookie": okta.cookie_header(session_id)})
            value: str | None = answer.json()["g"]
            return value

        assert_signed_out_by_deliveries(okta, url + HOOK, NEXT_SECRET, LOGIN, served_at)
