"""Rotating ``OKTA_SECRET_KEY`` in a Flask app (``app.config`` takes a list, current
first): a logout form rendered before the rotation still logs out after it."""

from __future__ import annotations

from okta_session_mw.testing import FakeOkta
from tests.support.flask_apps import flask_app, okta_settings
from tests.support.okta_users import LOGIN

OLD = "old-flask-secret-key-0123456789"
NEW = "new-flask-secret-key-9876543210"
HTML = {"accept": "text/html"}


def _token(okta: FakeOkta, cookie: dict[str, str], key: object) -> str:
    with flask_app(**okta_settings(okta), OKTA_SECRET_KEY=key) as (app, _):
        page = app.test_client(use_cookies=False).get("/token", headers=cookie)
        return page.get_data(as_text=True)


def _logout(okta: FakeOkta, cookie: dict[str, str], key: object, token: str) -> int:
    with flask_app(**okta_settings(okta), OKTA_SECRET_KEY=key) as (app, _):
        client = app.test_client(use_cookies=False)
        form = {"csrf_token": token}
        return client.post("/logout", headers={**cookie, **HTML}, data=form).status_code


def test_i15_89_a_form_rendered_before_the_rotation_logs_out_after_it(okta: FakeOkta) -> None:
    sid = okta.create_session(LOGIN)
    cookie = {"cookie": okta.cookie_header(sid)}
    token = _token(okta, cookie, OLD)
    assert token
    assert _logout(okta, cookie, NEW, token) == 403  # the old key gone: refused
    assert okta.session(sid) is not None
    assert _logout(okta, cookie, [NEW, OLD], token) == 303  # rotated: still verified
    assert okta.session(sid) is None
