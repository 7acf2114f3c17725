"""The seven operations (and authn) over real HTTP against the fake Okta, sync and async.

Each test runs twice, once per client flavour (see ``client_helpers``): success, every
error status okta-sessions.md section 3 lists for the operation, and which credential
travels with which call.
"""

from __future__ import annotations

from typing import Any

import pytest

from okta_session_mw.errors import (
    ConfigError,
    InvalidRequestError,
    OktaAPIError,
    OktaAuthenticationError,
    OktaBadRequestError,
    OktaNotFoundError,
    OktaPermissionError,
    OktaRateLimitError,
    OktaServerError,
    RateLimit,
)
from okta_session_mw.okta.session import Session
from okta_session_mw.testing import FakeOkta
from tests.support.client_helpers import (
    API_TOKEN,
    BEARER,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    Connect,
    bearer_sources,
)

pytest_plugins = ["tests.support.client_fixtures"]  # the fixtures: flavour, fake_org, connect

ME = "/api/v1/sessions/me"


# -- success -------------------------------------------------------------------------


@pytest.mark.parametrize("cookie_name", ["sid", "idx"])
async def test_get_current_session(connect: Connect, fake_org: FakeOkta, cookie_name: str) -> None:
    session_id = fake_org.create_session(DEMO_LOGIN)
    client = connect()
    session = await client.get_current_session(fake_org.cookie_header(session_id, cookie_name))
    assert isinstance(session, Session)
    assert (session.id, session.login, str(session.status)) == (session_id, DEMO_LOGIN, "ACTIVE")
    [call] = fake_org.calls_to("GET", ME)
    assert call.headers["cookie"] == fake_org.cookie_header(session_id, cookie_name)


async def test_refresh_current_session(connect: Connect, fake_org: FakeOkta) -> None:
    session_id = fake_org.create_session(DEMO_LOGIN)
    before = fake_org.session(session_id)
    assert before is not None
    fake_org.advance(60)
    session = await connect().refresh_current_session(fake_org.cookie_header(session_id, "idx"))
    assert session.id == session_id
    assert session.expires_at.timestamp() >= before.expires_at + 59


async def test_close_current_session(connect: Connect, fake_org: FakeOkta) -> None:
    session_id = fake_org.create_session(DEMO_LOGIN)
    assert await connect().close_current_session(fake_org.cookie_header(session_id)) is None
    assert fake_org.session(session_id) is None


async def test_authenticate_then_create_session(connect: Connect, fake_org: FakeOkta) -> None:
    client = connect(api_token=API_TOKEN)
    session_token = await client.authenticate(DEMO_LOGIN, DEMO_PASSWORD)
    session = await client.create_session(session_token)
    assert session.login == DEMO_LOGIN
    assert fake_org.session(session.id) is not None
    [authn] = fake_org.calls_to("POST", "/api/v1/authn")
    assert authn.authorization is None


async def test_get_refresh_revoke_session(connect: Connect, fake_org: FakeOkta) -> None:
    session_id = fake_org.create_session(DEMO_LOGIN)
    client = connect(api_token=API_TOKEN)
    assert (await client.get_session(session_id)).id == session_id
    assert (await client.refresh_session(session_id)).id == session_id
    assert await client.revoke_session(session_id) is None
    assert fake_org.session(session_id) is None
    assert {call.authorization for call in fake_org.calls} == {f"SSWS {API_TOKEN}"}


async def test_rate_limit_figures_are_kept(connect: Connect, fake_org: FakeOkta) -> None:
    client = connect(api_token=API_TOKEN)
    assert client.last_rate_limit is None
    await client.get_session(fake_org.create_session(DEMO_LOGIN))
    limits = client.client.last_rate_limit
    assert isinstance(limits, RateLimit)
    assert (limits.limit, limits.remaining) == (600, 599)
    assert (limits.reset or 0) >= fake_org.now()



async def test_rate_limit_listeners_hear_every_answer_with_its_operation(
    connect: Connect, fake_org: FakeOkta
) -> None:
    client = connect(api_token=API_TOKEN)
    heard: list[tuple[str, int | None]] = []

    def listener(operation: str, figures: RateLimit) -> None:
        heard.append((operation, figures.remaining))

    client.client.add_rate_limit_listener(listener)
    client.client.add_rate_limit_listener(listener)  # once is enough
    session_id = fake_org.create_session(DEMO_LOGIN)
    await client.get_session(session_id)
    with pytest.raises(OktaNotFoundError):
        await client.get_current_session("sid=none")  # an error answer has figures too
    assert heard == [("get_session", 599), ("get_current_session", 598)]
async def test_user_agent_names_library_python_and_httpx(
    connect: Connect, fake_org: FakeOkta
) -> None:
    with pytest.raises(OktaNotFoundError):
        await connect(user_agent="my-app/2.1").get_current_session("sid=none")
    agent = fake_org.calls[0].headers["user-agent"]
    assert agent.startswith("okta-session-mw/0.1.0 python/3.")
    assert " httpx/" in agent
    assert agent.endswith(" my-app/2.1")


# -- errors --------------------------------------------------------------------------

SEVEN = [
    "get_current_session",
    "refresh_current_session",
    "close_current_session",
    "create_session",
    "get_session",
    "refresh_session",
    "revoke_session",
]
# okta-sessions.md section 3: the error statuses each operation can answer.
LISTED = {
    "get_current_session": [404],
    "refresh_current_session": [404],
    "close_current_session": [404],
    "create_session": [400, 401, 403, 429],
    "get_session": [400, 401, 403, 404, 429],
    "refresh_session": [401, 403, 404, 429],
    "revoke_session": [401, 403, 404, 429],
}
KIND = {
    400: OktaBadRequestError,
    401: OktaAuthenticationError,
    403: OktaPermissionError,
    404: OktaNotFoundError,
    429: OktaRateLimitError,
    500: OktaServerError,
    503: OktaServerError,
}


def argument(operation: str, fake_org: FakeOkta, session_id: str) -> str:
    if operation.endswith("current_session"):
        return fake_org.cookie_header(session_id)
    if operation == "create_session":
        return fake_org.issue_session_token(DEMO_LOGIN)
    return session_id


@pytest.mark.parametrize(
    ("operation", "status"),
    [(op, status) for op in SEVEN for status in [*LISTED[op], 500, 503]],
)
async def test_each_listed_error_status(
    connect: Connect, fake_org: FakeOkta, operation: str, status: int
) -> None:
    """404 and 401 happen for real (unknown session, bad token); the rest is injected."""
    session_id = fake_org.create_session(DEMO_LOGIN)
    value = argument(operation, fake_org, session_id)
    token = API_TOKEN
    if status == 404:
        fake_org.revoke(session_id)
    elif status == 401:
        token = "not-the-api-token" if operation != "create_session" else API_TOKEN
        if operation == "create_session":
            value = "a-used-or-invalid-session-token"
    elif status == 429:
        fake_org.rate_limit_until(fake_org.now() + 60)
    else:
        fake_org.inject(status=status, times=1)
    client = connect(api_token=token)
    with pytest.raises(KIND[status]) as info:
        await getattr(client, operation)(value)
    error = info.value
    assert type(error) is KIND[status]
    assert error.status_code == status
    assert str(error.error_code).startswith("E0000")
    assert error.error_link == error.error_code
    assert error.error_summary
    assert error.error_id
    assert error.request_id
    assert error.rate_limit.limit == 600
    assert client.last_rate_limit == error.rate_limit
    if status == 404:
        assert error.error_code == "E0000007"
    if status == 401:
        assert error.error_code == ("E0000004" if operation == "create_session" else "E0000011")
    if status == 429:
        assert error.error_code == "E0000047"
        assert error.rate_limit.remaining == 0
        assert (error.rate_limit.reset or 0) >= fake_org.now() + 59


async def test_bad_password(connect: Connect) -> None:
    with pytest.raises(OktaAuthenticationError) as info:
        await connect().authenticate(DEMO_LOGIN, "wrong")
    assert info.value.error_code == "E0000004"


async def test_unknown_session_id_with_odd_characters(connect: Connect) -> None:
    with pytest.raises(OktaNotFoundError):
        await connect(api_token=API_TOKEN).get_session("no/such?session")


# -- credentials ---------------------------------------------------------------------


@pytest.mark.parametrize("source", ["str", "sync callable", "async callable"])
async def test_bearer_token(
    connect: Connect, fake_org: FakeOkta, flavour: str, source: str
) -> None:
    bearer: Any = bearer_sources(BEARER)[source]
    if flavour == "sync" and source == "async callable":
        with pytest.raises(ConfigError, match="AsyncOktaSessionClient"):
            connect(bearer_token=bearer)
        return
    client = connect(bearer_token=bearer)
    session_id = fake_org.create_session(DEMO_LOGIN)
    assert (await client.get_session(session_id)).id == session_id
    assert (await client.refresh_session(session_id)).id == session_id
    await client.revoke_session(session_id)
    assert {call.authorization for call in fake_org.calls} == {f"Bearer {BEARER}"}


async def test_api_token_wins_over_bearer(connect: Connect, fake_org: FakeOkta) -> None:
    client = connect(api_token=API_TOKEN, bearer_token=BEARER)
    await client.get_session(fake_org.create_session(DEMO_LOGIN))
    assert fake_org.calls[0].authorization == f"SSWS {API_TOKEN}"


async def test_create_session_needs_the_api_token(connect: Connect, fake_org: FakeOkta) -> None:
    client = connect(bearer_token=BEARER)
    with pytest.raises(ConfigError, match="API token") as info:
        await client.create_session(fake_org.issue_session_token(DEMO_LOGIN))
    assert info.value.setting == "api_token"
    assert fake_org.calls == []


@pytest.mark.parametrize("operation", ["get_session", "refresh_session", "revoke_session"])
async def test_admin_calls_need_a_credential(
    connect: Connect, fake_org: FakeOkta, operation: str
) -> None:
    with pytest.raises(ConfigError, match="api_token or bearer_token"):
        await getattr(connect(), operation)("some-id")
    assert fake_org.calls == []


async def test_me_calls_never_carry_authorization(connect: Connect, fake_org: FakeOkta) -> None:
    """Okta refuses a token on /me; the app's credential must never ride with a browser's."""
    client = connect(api_token=API_TOKEN, bearer_token=BEARER)
    session_id = fake_org.create_session(DEMO_LOGIN)
    cookie = fake_org.cookie_header(session_id, "idx")
    await client.get_current_session(cookie)
    await client.refresh_current_session(cookie)
    await client.close_current_session(cookie)
    for operation in ("get_current_session", "refresh_current_session", "close_current_session"):
        with pytest.raises(OktaNotFoundError):
            await getattr(client, operation)(cookie)
    me_calls = [call for call in fake_org.calls if call.path.startswith(ME)]
    assert len(me_calls) == 6
    for call in me_calls:
        assert call.authorization is None
        assert "authorization" not in call.headers
        assert call.headers["cookie"] == cookie


@pytest.mark.parametrize("cookie", ["sid=a\r\nAuthorization: SSWS x", "", " sid=a"])
async def test_bad_cookie_is_refused_before_io(
    connect: Connect, fake_org: FakeOkta, cookie: str
) -> None:
    with pytest.raises(InvalidRequestError):
        await connect().get_current_session(cookie)
    assert fake_org.calls == []


async def test_errors_are_api_errors_only_when_okta_answered(connect: Connect) -> None:
    with pytest.raises(OktaAPIError):
        await connect().get_current_session("sid=unknown")


async def test_i10_12_error_messages_hide_session_ids(connect: Connect, fake_org: FakeOkta) -> None:
    """Okta's errorSummary names the session it did not find; the message must not."""
    session_id = fake_org.create_session(DEMO_LOGIN)
    fake_org.revoke(session_id)
    client = connect(api_token=API_TOKEN)
    for operation in ("get_session", "refresh_session", "revoke_session"):
        with pytest.raises(OktaNotFoundError) as info:
            await getattr(client, operation)(session_id)
        assert info.value.error_code == "E0000007"
        assert "E0000007" in str(info.value) and "AppSession" in str(info.value)
        assert session_id not in str(info.value) and session_id not in repr(info.value)
        assert session_id in (info.value.error_summary or "")  # Okta's own text, kept as is
