"""``secret_key`` as a list: rotating the key that keys the cache and signs CSRF tokens.

The first key keys the cache and signs; every key verifies. A rolling rotation has
workers on ``[old, new]`` beside workers on ``[new, old]``: they key the cache
differently, so an end (logout, revoke, an end by user) made on one must reach the
entries the other stored, or the other would go on serving an ended session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from okta_session_mw import OktaSessionConfig, SessionService
from okta_session_mw.errors import ConfigError
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from okta_session_mw.web.csrf import CsrfState
from okta_session_mw.web.logout_request import LogoutRequest
from tests.support.apps import make_config
from tests.support.fake_helpers import me_calls
from tests.support.okta_users import LOGIN

pytest_plugins = ["tests.support.redis_fixtures"]

OLD = "old-secret-key-0123456789abcdef"
NEW = "new-secret-key-fedcba9876543210"
ORG = "https://example.okta.com"


def _post(cookie_header: str | None, token: str) -> LogoutRequest:
    """A POST with neither Origin nor Referer: only the token can let it through."""
    return LogoutRequest(
        method="POST", scheme="https", host="app.example", headers={},
        cookie_header=cookie_header, form_token=token,
    )  # fmt: skip


def test_i15_80_secret_key_takes_a_list_current_key_first() -> None:
    config = OktaSessionConfig(org_url=ORG, secret_key=[NEW, OLD])
    assert config.secret_keys == (NEW, OLD)
    assert config.secret_key_bytes == NEW.encode()
    assert config.secret_keys_bytes == (NEW.encode(), OLD.encode())
    assert NEW not in repr(config) and OLD not in repr(config)
    one = OktaSessionConfig(org_url=ORG, secret_key=NEW)
    assert one.secret_key == NEW and one.secret_keys == (NEW,)
    # Flask's and Django's settings give a list; text (the environment) is one key
    mapped = OktaSessionConfig.from_mapping(
        {"OKTA_ORG_URL": ORG, "OKTA_SECRET_KEY": [NEW, OLD]}, prefix="OKTA_"
    )
    assert mapped.secret_keys == (NEW, OLD)
    text = OktaSessionConfig.from_env({"OKTA_ORG_URL": ORG, "OKTA_SECRET_KEY": f"{NEW},{OLD}"})
    assert text.secret_keys == (f"{NEW},{OLD}",)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([NEW, "short-one"], "must be at least 16 characters each"),
        ([NEW, NEW], "lists the same key twice"),
        ([], "is an empty list"),
        ([NEW, 42], "must be a string, or a list of strings"),
        (42, "must be a string, or a list of strings"),
    ],
)
def test_i15_81_a_bad_key_list_is_refused_without_showing_a_key(
    value: object, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        OktaSessionConfig(org_url=ORG, secret_key=value)  # type: ignore[arg-type]
    assert NEW not in str(caught.value) and "short-one" not in str(caught.value)


def test_i15_82_a_csrf_token_made_before_the_rotation_still_passes(okta: FakeOkta) -> None:
    cookie = f"sid={okta.create_session(LOGIN)}"
    before = SessionService(make_config(okta, secret_key=OLD))
    rotated = SessionService(make_config(okta, secret_key=[NEW, OLD]))
    retired = SessionService(make_config(okta, secret_key=NEW))
    try:
        token = before.csrf_token(cookie, CsrfState())
        assert rotated.csrf_allows(_post(cookie, token))
        assert not retired.csrf_allows(_post(cookie, token))  # the old key dropped
        # a new token is signed with the current key: a worker on it alone takes it
        fresh = rotated.csrf_token(cookie, CsrfState())
        assert retired.csrf_allows(_post(cookie, fresh))
        assert not before.csrf_allows(_post(cookie, fresh))  # not yet known there
        # an anonymous browser's nonce cookie and token, from before the rotation
        state = CsrfState()
        anonymous = before.csrf_token(None, state)
        assert state.set_cookie is not None
        nonce_cookie = state.set_cookie.split(";", 1)[0]
        assert rotated.csrf_allows(_post(nonce_cookie, anonymous))
        assert not retired.csrf_allows(_post(nonce_cookie, anonymous))
    finally:
        for service in (before, rotated, retired):
            service.close()


@pytest.fixture
def workers(
    okta: FakeOkta, redis_server: RedisServer, redis_client: object
) -> Iterator[tuple[SessionService, SessionService]]:
    """Two workers sharing one Redis in the middle of a rolling rotation: one already
    on ``[new, old]``, one still on ``[old, new]``."""
    rotated = SessionService(make_config(okta, cache_url=redis_server.url, secret_key=[NEW, OLD]))
    behind = SessionService(make_config(okta, cache_url=redis_server.url, secret_key=[OLD, NEW]))
    yield rotated, behind
    rotated.close()
    behind.close()


def test_i15_83_rotating_costs_at_most_one_okta_lookup_per_cached_session(
    okta: FakeOkta, workers: tuple[SessionService, SessionService]
) -> None:
    rotated, behind = workers
    cookies = [f"sid={okta.create_session(LOGIN)}" for _ in range(3)]
    for cookie in cookies:
        assert behind.resolve(cookie).session is not None
    assert me_calls(okta) == 3
    for _ in range(3):
        for cookie in cookies:
            assert rotated.resolve(cookie).session is not None
    assert me_calls(okta) == 6  # one more lookup per session, then hits


@pytest.mark.parametrize("who_logs_out", ["rotated", "behind"])
def test_i15_84_a_logout_on_either_key_ends_the_session_on_workers_of_the_other(
    okta: FakeOkta, workers: tuple[SessionService, SessionService], who_logs_out: str
) -> None:
    rotated, behind = workers
    cookie = f"sid={okta.create_session(LOGIN)}"
    assert rotated.resolve(cookie).session is not None
    assert behind.resolve(cookie).session is not None
    ending, other = (rotated, behind) if who_logs_out == "rotated" else (behind, rotated)
    assert ending.logout(cookie)
    calls = me_calls(okta)
    assert other.resolve(cookie).session is None
    assert me_calls(okta) == calls + 1  # asked Okta (which has no session), never served


@pytest.mark.parametrize("end", ["revoke", "revoke_user_sessions"])
def test_i15_85_an_end_by_session_or_user_reaches_entries_keyed_by_the_older_key(
    okta: FakeOkta, workers: tuple[SessionService, SessionService], end: str
) -> None:
    rotated, behind = workers
    sid = okta.create_session(LOGIN)
    cookie = f"sid={sid}"
    session = behind.resolve(cookie).session
    assert session is not None and session.user_id
    if end == "revoke":
        rotated.revoke(sid)
    else:
        rotated.revoke_user_sessions(session.user_id)
    assert behind.resolve(cookie).session is None
