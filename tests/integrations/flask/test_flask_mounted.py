"""A Flask app mounted under a prefix (``SCRIPT_NAME``): the core judges the path the
app's routes see, as in the other adapters (issue 11 item 2). Through Flask's test
client against the fake Okta over real HTTP."""

from __future__ import annotations

from okta_session_mw.testing import FakeOkta
from tests.support.flask_apps import ORIGIN, flask_app, okta_settings
from tests.support.okta_users import LOGIN

MOUNTED = {"SCRIPT_NAME": "/app"}


def test_i11_02_exempt_paths_and_logout_under_a_script_name_are_never_looked_up(
    okta: FakeOkta,
) -> None:
    with flask_app(**okta_settings(okta, OKTA_EXEMPT_PATHS="/health")) as (app, _):
        client = app.test_client(use_cookies=False)
        sid = okta.create_session(LOGIN)
        cookie = {"cookie": okta.cookie_header(sid)}
        body = client.get("/health", headers=cookie, environ_overrides=MOUNTED).json
        assert body is not None
        assert body["g"] is None
        evil = {**cookie, "origin": "https://evil.example"}
        refused = client.post("/logout", headers=evil, environ_overrides=MOUNTED)
        assert refused.status_code == 403
        assert okta.calls == []
        looked_up = client.get("/", headers=cookie, environ_overrides=MOUNTED).json
        assert looked_up is not None
        assert looked_up["g"] == sid
        own = {**cookie, "origin": ORIGIN}
        done = client.post("/logout", headers=own, environ_overrides=MOUNTED)
        assert done.status_code == 204
    assert okta.session(sid) is None
