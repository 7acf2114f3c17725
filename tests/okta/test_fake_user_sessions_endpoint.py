"""The fake Okta's ``DELETE /api/v1/users/{userId}/sessions`` over raw HTTP (issue 13,
item 3): 204 and that user's sessions gone, 404 for an unknown user, 401 without an
admin credential."""

from __future__ import annotations

import httpx

from okta_session_mw.testing import FakeOkta
from tests.support.okta_users import API_TOKEN, LOGIN


def test_i13_03_the_fake_clears_one_user_s_sessions(okta: FakeOkta) -> None:
    okta.add_user("bob@example.com", "pw")
    mine = [okta.create_session(LOGIN) for _ in range(2)]
    theirs = okta.create_session("bob@example.com")
    user_id = okta.users[0].id
    url = f"{okta.base_url}/api/v1/users/{user_id}/sessions?oauthTokens=false"
    admin = {"authorization": f"SSWS {API_TOKEN}"}
    assert httpx.delete(url, headers={"authorization": "SSWS wrong"}).status_code == 401
    assert [okta.session(s) is not None for s in mine] == [True, True]
    answer = httpx.delete(url, headers=admin)
    assert answer.status_code == 204 and "x-rate-limit-limit" in answer.headers
    assert [okta.session(s) for s in mine] == [None, None]
    assert okta.session(theirs) is not None
    unknown = httpx.delete(f"{okta.base_url}/api/v1/users/00uNobody/sessions", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["errorCode"] == "E0000007"
