"""The Okta Event Hook route for Starlette/FastAPI (issue 13, item 1; behaviour 15),
through httpx's ASGI client, with the service talking to the fake Okta over loopback:
verification, the secret (401 before the body is read, rotation), deliveries ending
cached sessions by id and by user (never served again, not even stale), duplicates,
unknown events, malformed bodies, and no secret in a log or repr."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from okta_session_mw import OktaSessionMiddleware, SessionService, event_hook_route
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN

SECRET, NEXT_SECRET = "hook-secret-0123456789-current", "hook-secret-9876543210-next"
HOOK = "/okta/event-hook"


async def whoami(request: Request) -> JSONResponse:
    session = request.state.okta_session
    return JSONResponse({"id": session.id if session else None})


def hook_app(service: SessionService, *, mounted: bool = False) -> Starlette:
    hook = event_hook_route(service.config)
    routes = [Route("/", whoami), Mount("/hooks", routes=[hook]) if mounted else hook]
    return Starlette(routes=routes, middleware=[Middleware(OktaSessionMiddleware, service=service)])


@pytest.fixture
async def hooked(okta: FakeOkta) -> AsyncIterator[tuple[SessionService, httpx.AsyncClient]]:
    config = make_config(okta, event_hook_secrets=(SECRET, NEXT_SECRET))
    service = SessionService(config, clock=okta.now)
    transport = httpx.ASGITransport(app=hook_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield service, client
    await service.aclose()


def log_event(event_type: str, *, session_id: str | None = None, actor: str | None = None,
              target: str | None = None, event_uuid: str | None = None) -> dict[str, Any]:
    """A System Log event in Okta's shape (only what the test varies is not fixed)."""
    def user(user_id: str) -> dict[str, Any]:
        return {"id": user_id, "type": "User", "alternateId": LOGIN, "displayName": "Ann"}

    return {
        "uuid": event_uuid or str(uuid.uuid4()),
        "published": "2026-12-01T14:00:00.000Z",
        "eventType": event_type,
        "version": "0",
        "severity": "INFO",
        "displayMessage": "an event",
        "actor": user(actor) if actor else {"id": "0oaApp", "type": "PublicClientApp"},
        "client": {"ipAddress": "192.0.2.1", "userAgent": {"rawUserAgent": "x"}},
        "outcome": {"result": "SUCCESS"},
        "target": [user(target), {"id": "0oaX", "type": "AppInstance"}] if target else [],
        "authenticationContext": {"externalSessionId": session_id or "unknown"},
        "debugContext": {"debugData": {"requestUri": "/x", "someNewField": [1, 2]}},
        "aFieldOktaAddedLater": {"nested": True},
    }


def delivery(*events: dict[str, Any]) -> bytes:
    body = {"eventType": "com.okta.event_hook", "eventTypeVersion": "1.0",
            "cloudEventsVersion": "0.1", "source": "https://example.okta.com/api/v1/eventHooks/x",
            "eventId": str(uuid.uuid4()), "data": {"events": list(events)}}  # fmt: skip
    return json.dumps(body).encode()


async def deliver(client: httpx.AsyncClient, body: bytes, secret: str = SECRET) -> httpx.Response:
    headers = {"authorization": secret, "content-type": "application/json"}
    return await client.post(HOOK, content=body, headers=headers)


async def served(client: httpx.AsyncClient, okta: FakeOkta, session_id: str) -> str | None:
    answer = await client.get("/", headers={"cookie": okta.cookie_header(session_id)})
    value: str | None = answer.json()["id"]
    return value


async def test_i13_01_the_verification_get_is_answered_with_its_challenge(
    hooked: tuple[SessionService, httpx.AsyncClient],
) -> None:
    _, client = hooked
    challenge = {"x-okta-verification-challenge": "2Lbs_eMp6Pt7gnLTBFMw0JRpT0-mvOGGKq3CBxYv"}
    answer = await client.get(HOOK, headers={"authorization": NEXT_SECRET, **challenge})
    assert answer.status_code == 200
    assert answer.json() == {"verification": challenge["x-okta-verification-challenge"]}
    assert (await client.get(HOOK, headers=challenge)).status_code == 401  # no secret


@pytest.mark.parametrize("secret", [None, "", "hook-secret-0123456789-curren", SECRET + "x",
                                    "Bearer " + SECRET])  # fmt: skip
async def test_i13_01_a_call_without_the_secret_is_401_before_its_body_is_read(
    hooked: tuple[SessionService, httpx.AsyncClient], okta: FakeOkta, secret: str | None
) -> None:
    _, client = hooked
    session_id = okta.create_session(LOGIN)
    assert await served(client, okta, session_id) == session_id
    read: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(b"started")  # the app asked for the body
        yield delivery(log_event("user.session.end", session_id=session_id))

    headers = {} if secret is None else {"authorization": secret}
    answer = await client.post(HOOK, content=body(), headers=headers)
    assert answer.status_code == 401 and read == []
    okta.clear_calls()
    assert await served(client, okta, session_id) == session_id
    assert okta.calls == []  # still cached: nothing was ended


async def test_i13_01_no_secret_configured_refuses_everything(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta), clock=okta.now)  # no event_hook_secrets
    transport = httpx.ASGITransport(app=hook_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for secret in ("", "anything-at-all-0123456789", SECRET):
            answer = await deliver(client, delivery(), secret)
            assert answer.status_code == 401
        challenge = {"x-okta-verification-challenge": "abc", "authorization": ""}
        assert (await client.get(HOOK, headers=challenge)).status_code == 401
    await service.aclose()


async def test_i13_01_both_secrets_of_a_rotation_are_accepted(
    hooked: tuple[SessionService, httpx.AsyncClient], okta: FakeOkta
) -> None:
    _, client = hooked
    first, second = okta.create_session(LOGIN), okta.create_session(LOGIN)
    for session_id in (first, second):
        assert await served(client, okta, session_id) == session_id
    assert (await deliver(client, delivery(log_event("user.session.end", session_id=first)),
                          SECRET)).status_code == 200  # fmt: skip
    assert (await deliver(client, delivery(log_event("user.session.end", session_id=second)),
                          NEXT_SECRET)).status_code == 200  # fmt: skip
    assert await served(client, okta, first) is None
    assert await served(client, okta, second) is None


async def test_i13_01_a_delivery_ends_a_cached_session_by_id_never_to_be_served_again(
    hooked: tuple[SessionService, httpx.AsyncClient], okta: FakeOkta
) -> None:
    """The session Okta ended (sign-out elsewhere) is refused at once, even while Okta
    still calls it live to a lookup, and not served stale while Okta fails; the user's
    other session is asked of Okta again and lives on."""
    _, client = hooked
    ended, other = okta.create_session(LOGIN), okta.create_session(LOGIN)
    user_id = okta.users[0].id
    for session_id in (ended, other):
        assert await served(client, okta, session_id) == session_id
    event = log_event("user.session.end", session_id=ended, actor=user_id)
    assert (await deliver(client, delivery(event))).status_code == 200
    assert await served(client, okta, ended) is None  # Okta (not told here) says live
    assert await served(client, okta, other) == other  # re-checked with Okta: still live
    okta.advance(70)  # past cache_ttl: the stale window
    okta.inject(status=503)
    assert await served(client, okta, ended) is None  # not stale either
    assert await served(client, okta, other) == other  # served stale, as before


async def test_i13_01_a_delivery_ends_all_of_a_users_sessions(
    hooked: tuple[SessionService, httpx.AsyncClient], okta: FakeOkta
) -> None:
    _, client = hooked
    okta.add_user("bob@example.com", "pw")
    mine = [okta.create_session(LOGIN) for _ in range(3)]
    bobs = okta.create_session("bob@example.com")
    for session_id in [*mine, bobs]:
        assert await served(client, okta, session_id) == session_id
    user_id = okta.users[0].id
    okta.revoke_user_sessions(user_id)  # an admin suspends Ann at Okta
    assert await served(client, okta, mine[0]) == mine[0]  # the cache still trusts it
    event = log_event("user.lifecycle.suspend", actor="00uTheAdmin00000001", target=user_id)
    assert (await deliver(client, delivery(event))).status_code == 200
    assert [await served(client, okta, s) for s in mine] == [None, None, None]
    okta.clear_calls()
    assert await served(client, okta, bobs) == bobs
    assert okta.calls == []  # Bob's session is still a cache hit


async def test_i13_01_a_duplicate_delivery_is_harmless(
    hooked: tuple[SessionService, httpx.AsyncClient], okta: FakeOkta
) -> None:
    """Okta retries a delivery: the same event (same ``uuid``) again ends nothing new,
    so the session the user signed in with since stays a cache hit."""
    _, client = hooked
    old = okta.create_session(LOGIN)
    assert await served(client, okta, old) == old
    body = delivery(log_event("user.session.clear", target=okta.users[0].id))
    assert (await deliver(client, body)).status_code == 200
    assert await served(client, okta, old) == old  # re-asked: Okta still has it (not cleared)
    new = okta.create_session(LOGIN)
    assert await served(client, okta, new) == new
    okta.clear_calls()
    assert (await deliver(client, body)).status_code == 200  # the retry
    assert await served(client, okta, new) == new
    assert await served(client, okta, old) == old
    assert okta.calls == []  # both still hits: the retry evicted nothing


async def test_i13_01_unknown_event_types_and_fields_are_ignored(
    hooked: tuple[SessionService, httpx.AsyncClient], okta: FakeOkta
) -> None:
    _, client = hooked
    session_id = okta.create_session(LOGIN)
    assert await served(client, okta, session_id) == session_id
    user_id = okta.users[0].id
    events = [
        log_event("user.account.update_profile", session_id=session_id, target=user_id),
        log_event("user.session.start", session_id=session_id, actor=user_id),
        {
            "eventType": "user.session.end",
            "authenticationContext": "not an object",
            "actor": ["odd"],
            "target": {"not": "a list"},
        },
        "not an event",
        {"eventType": ["user.session.end"], "actor": {"id": user_id, "type": "User"}},
        {"eventType": {"user.session.end": 1}, "actor": {"id": user_id, "type": "User"}},
        {"eventType": "user.session.end", "actor": {"id": "x", "type": "User"}},  # not an id
    ]
    assert (await deliver(client, delivery(*events))).status_code == 200
    okta.clear_calls()
    assert await served(client, okta, session_id) == session_id
    assert okta.calls == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b"[]", 400),
        (b'{"data": {"events": "nope"}}', 400),
        (b'{"eventType": "com.okta.event_hook"}', 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"data": {"events": [' + b",".join([b"{}"] * 1001) + b"]}}", 413),
        (b'{"data": {"events": []}, "pad": "' + b"x" * (1 << 20) + b'"}', 413),
    ],
)
async def test_i13_01_a_malformed_body_is_400_without_a_traceback(
    hooked: tuple[SessionService, httpx.AsyncClient], caplog: pytest.LogCaptureFixture,
    body: bytes, status: int,
) -> None:  # fmt: skip
    _, client = hooked
    with caplog.at_level(logging.DEBUG):
        answer = await deliver(client, body)
    assert answer.status_code == status
    assert answer.json()["error"] in ("bad_request", "too_large")
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


async def test_i13_01_a_body_larger_than_its_content_length_allows_is_refused_unread(
    hooked: tuple[SessionService, httpx.AsyncClient],
) -> None:
    _, client = hooked
    read: list[bytes] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(b"started")
        yield b"{}"

    headers = {"authorization": SECRET, "content-length": str(10 << 20)}
    assert (await client.post(HOOK, content=body(), headers=headers)).status_code == 413
    assert read == []


async def test_i13_01_a_mounted_route_in_a_fastapi_app_works(okta: FakeOkta) -> None:
    config = make_config(okta, event_hook_secrets=(SECRET,))
    service = SessionService(config, clock=okta.now)
    app = FastAPI()
    app.add_middleware(OktaSessionMiddleware, service=service)
    app.mount("/hooks", Starlette(routes=[event_hook_route(config)]))
    session_id = okta.create_session(LOGIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await service.aresolve(okta.cookie_header(session_id))).session is not None
        body = delivery(log_event("user.session.end", session_id=session_id))
        answer = await client.post("/hooks" + HOOK, content=body, headers={"authorization": SECRET})
        assert answer.status_code == 200
        assert (await service.aresolve(okta.cookie_header(session_id))).session is None
    await service.aclose()


async def test_i13_01_no_secret_or_session_id_in_logs_or_reprs(
    hooked: tuple[SessionService, httpx.AsyncClient], okta: FakeOkta,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    service, client = hooked
    session_id = okta.create_session(LOGIN)
    with caplog.at_level(logging.DEBUG):
        await served(client, okta, session_id)
        await deliver(client, delivery(log_event("user.session.end", session_id=session_id)))
        await deliver(client, b"garbage " + SECRET.encode())
        await client.post(HOOK, content=b"{}", headers={"authorization": SECRET[:-1]})
    shown = caplog.text + repr(service.config) + repr(service.event_hook) + repr(service)
    for secret in (SECRET, NEXT_SECRET, session_id):
        assert secret not in shown
    ends = service.event_hook.read(delivery(log_event("user.session.end", session_id="1" * 25)))
    assert "1" * 25 not in repr(ends)
