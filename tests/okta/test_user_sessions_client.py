"""Okta's "clear user sessions" (``DELETE /api/v1/users/{userId}/sessions``) in both
clients, over real HTTP against the fake Okta (issue 13, item 3)."""

from __future__ import annotations

import pytest

from okta_session_mw.errors import InvalidRequestError, OktaAuthenticationError, OktaNotFoundError
from okta_session_mw.okta import operations
from okta_session_mw.okta.operations import Auth
from okta_session_mw.testing import FakeOkta
from tests.support.client_helpers import API_TOKEN, BEARER, DEMO_LOGIN, Connect

pytest_plugins = ["tests.support.client_fixtures"]  # the fixtures: flavour, fake_org, connect


@pytest.mark.parametrize("credential", [{"api_token": API_TOKEN}, {"bearer_token": BEARER}])
@pytest.mark.parametrize("oauth_tokens", [False, True])
async def test_i13_03_revoke_user_sessions_ends_every_session_of_that_user_only(
    connect: Connect, fake_org: FakeOkta, credential: dict[str, str], oauth_tokens: bool
) -> None:
    other = fake_org.add_user("bob@example.com", "pw")
    mine = [fake_org.create_session(DEMO_LOGIN) for _ in range(3)]
    theirs = fake_org.create_session(other.login)
    user_id = fake_org.users[0].id
    client = connect(**credential)
    assert await client.revoke_user_sessions(user_id, oauth_tokens=oauth_tokens) is None
    assert [fake_org.session(s) for s in mine] == [None, None, None]
    assert fake_org.session(theirs) is not None
    [call] = fake_org.calls_to("DELETE", f"/api/v1/users/{user_id}/sessions")
    assert call.query == f"oauthTokens={'true' if oauth_tokens else 'false'}"
    assert call.authorization in (f"SSWS {API_TOKEN}", f"Bearer {BEARER}")


async def test_i13_03_revoke_user_sessions_errors_are_okta_s(
    connect: Connect, fake_org: FakeOkta
) -> None:
    with pytest.raises(OktaNotFoundError) as unknown:
        await connect(api_token=API_TOKEN).revoke_user_sessions("00uNoSuchUser")
    assert unknown.value.error_code == "E0000007"
    with pytest.raises(OktaAuthenticationError):
        await connect(api_token="wrong-token").revoke_user_sessions(fake_org.users[0].id)
    with pytest.raises(InvalidRequestError):
        await connect(api_token=API_TOKEN).revoke_user_sessions("me")  # the token's owner


def test_i13_03_the_call_quotes_the_user_id_and_takes_an_admin_credential() -> None:
    call = operations.revoke_user_sessions("00u/../x", oauth_tokens=True)
    assert (call.method, call.auth) == ("DELETE", Auth.TOKEN)
    assert call.path == "/api/v1/users/00u%2F..%2Fx/sessions?oauthTokens=true"
    for bad in ("", ".", "..", "me"):
        with pytest.raises(InvalidRequestError):
            operations.revoke_user_sessions(bad)
