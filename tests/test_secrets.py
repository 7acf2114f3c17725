"""Behaviour 12: cookie values and API tokens never appear in logs, reprs or exception
messages, whatever happens (success, outage, 429, logout, revoke)."""

from __future__ import annotations

import logging
from typing import get_args

import httpx
import pytest

from okta_session_mw import OktaSessionMiddleware, SessionService
from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.cache.protocol import cache_key
from okta_session_mw.engine.effects import (
    PARSE,
    Background,
    CacheOp,
    Effect,
    Flow,
    Send,
    Share,
    Sleep,
)
from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.okta import operations
from okta_session_mw.okta.clients import OktaSessionClient
from okta_session_mw.okta.session import Session
from okta_session_mw.testing import FakeOkta
from okta_session_mw.web.reply import Reply
from tests.support.apps import make_app, make_config
from tests.support.okta_answers import NOW, SESSION
from tests.support.okta_users import API_TOKEN, LOGIN


async def test_12_no_cookie_or_token_in_logs_reprs_or_errors(
    okta: FakeOkta, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = SessionService(make_config(okta, timeout=0.3), clock=okta.now)
    sid = okta.create_session(LOGIN)
    cookie = okta.cookie_header(sid)
    idx = okta.cookie_header(sid, name="idx").split("=", 1)[1]
    secrets = [sid, idx, API_TOKEN, service.config.secret_key]
    app = make_app(service)
    texts: list[str] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        await c.get("/private", headers={"cookie": cookie})
        for fault in ({"status": 500}, {"garbage_body": True}, {"drop_connection": True},
                      {"latency": 1.0}):
            okta.inject(**fault)  # type: ignore[arg-type]
            okta.advance(120)
            await c.get("/private", headers={"cookie": f"sid={sid}; idx={idx}"})
            okta.clear_faults()
        okta.rate_limit_until(okta.now() + 30)
        okta.advance(120)
        await c.get("/private", headers={"cookie": cookie})
        okta.rate_limit_until(None)
        okta.advance(400)
        await c.post("/logout", headers={"cookie": cookie, "origin": "http://t"})
    try:
        await service.arevoke("no-such-" + sid)
        service.login("bad-token-" + API_TOKEN)
    except Exception as exc:  # the message is what we check
        texts.append(str(exc))
        texts.append(repr(exc))
    texts += [repr(service), repr(service.config), str(service.config), repr(app)]
    resolution = await service.aresolve(okta.cookie_header(okta.create_session(LOGIN)))
    texts += [repr(resolution), repr(resolution.session), str(resolution)]
    texts += [repr(OktaSessionMiddleware(app, service=service))]
    texts += [r.getMessage() for r in caplog.records]  # httpx's own request lines too
    texts += [str(r.exc_info) for r in caplog.records if r.exc_info]
    assert any("Okta" in r.getMessage() for r in caplog.records)  # it did log the failures
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret leaked into: {text[:120]}"
    assert isinstance(service.cache, MemorySessionCache)
    assert any("/api/v1/sessions/***" in r.getMessage() for r in caplog.records)
    for key in list(service.cache._entries.keys()):
        assert sid not in key and idx not in key
    await service.aclose()


def test_12_redaction_keeps_me_paths_and_hides_ids() -> None:
    from okta_session_mw.okta.log_redaction import redact

    assert redact("GET https://o.example/api/v1/sessions/me") == (
        "GET https://o.example/api/v1/sessions/me"
    )
    assert redact("DELETE https://o.example/api/v1/sessions/102abc") == (
        "DELETE https://o.example/api/v1/sessions/***"
    )
    assert redact('POST https://o.example/api/v1/sessions/mex1/lifecycle/refresh "HTTP') == (
        'POST https://o.example/api/v1/sessions/***/lifecycle/refresh "HTTP'
    )


def test_i10_12_effect_and_reply_reprs_show_no_session_id_or_cookie() -> None:
    """Every effect a flow yields, and the replies it makes, as a log line or a debugger
    would print them: neither the session id (a ``sid`` cookie's value) nor a cookie."""
    session_id = "102SECRETsessionIdAbcdef99"
    idx = "SECRETidxValue0123456789"
    cookie = f"sid={session_id}; idx={idx}"
    key = cache_key(b"k" * 32, cookie)
    session = Session.from_okta({**SESSION, "id": session_id})
    entry = CacheEntry(session, NOW, NOW + 60, NOW + 600)

    def flow() -> Flow[None]:
        yield CacheOp("get", (key,))

    okta = OktaSessionClient("https://example.okta.com", api_token="test-token")

    def sent(call: operations.Call[object]) -> Send:
        effect = next(okta.call(call))
        assert isinstance(effect, Send)
        return effect

    built: list[object] = [
        CacheOp("get", (key,)),
        CacheOp("set", (key, entry)),
        CacheOp("claim", (key, 5.0), {"take_over": True}),
        CacheOp("evict", (key,)),
        CacheOp("evict_session", (session_id,)),
        CacheOp("ended", (key, session_id, 0.0)),
        sent(operations.get_current_session(cookie)),
        sent(operations.revoke_session(session_id)),
        Send(httpx.Request("GET", "https://example.okta.com/"), lambda: session_id),
        Sleep(0.01),
        PARSE,
        Share(key, flow(), 5.0),
        Share(key, flow(), None),
        Background("ahead:" + key, flow()),
    ]
    assert {type(effect) for effect in built} == set(get_args(Effect))  # every kind
    built += [
        Resolution(session, Source.MISS),
        Reply(303, (("location", "/"), ("set-cookie", f"sid={session_id}; Path=/"))),
        Reply(204, (("set-cookie", f"idx={idx}; Max-Age=0"),), b"sid=" + session_id.encode()),
    ]
    for thing in built:
        shown = repr(thing)
        for secret in (session_id, idx):
            chunks = {secret[i : i + 8] for i in range(len(secret) - 7)}
            assert not any(chunk in shown for chunk in chunks), shown


def test_i10_12_request_user_identity_is_never_the_session_id() -> None:
    from okta_session_mw.integrations.starlette.auth_backend import OktaUser

    session = Session.from_okta(
        {"id": "102SECRETsessionid0123", "status": "ACTIVE", "login": "ann@example.com",
         "expiresAt": "2030-01-01T00:00:00.000Z"}
    )  # fmt: skip
    assert session.user_id is None
    assert OktaUser(session).identity == "ann@example.com"
    assert "102SECRET" not in OktaUser(session).identity
