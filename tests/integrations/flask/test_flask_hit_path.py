"""Issue 12: the Flask hit path made cheap keeps what the extension promises. Each
request's lazy session reads that request alone and asks Okta nothing until read; other
hooks and error handlers see it; the CSRF nonce cookie reaches the response whatever
made the token. Through Flask's test client against the fake Okta over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g, render_template_string, request
from werkzeug.local import LocalProxy
from werkzeug.wrappers import Response as WerkzeugResponse

from okta_session_mw.integrations.flask import OktaSession, get_okta_session, logout_csrf_token
from okta_session_mw.testing import FakeOkta
from tests.support.fake_helpers import me_calls
from tests.support.flask_apps import add_routes, flask_app, okta_settings
from tests.support.okta_users import LOGIN

NONCE = "okta_mw_csrf="  # the nonce cookie's name over plain http


def _nonce_cookies(response: WerkzeugResponse) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(NONCE)]


def test_i12_06_each_request_resolves_its_own_session_and_only_when_read(okta: FakeOkta) -> None:
    other = "bob@example.com"
    okta.add_user(other, "another password")
    seen: list[object] = []

    def read() -> str:
        seen.append(g.okta_session)
        assert isinstance(g.okta_session, LocalProxy)
        assert request.okta_session == g.okta_session  # type: ignore[attr-defined]
        return getattr(g.okta_session, "login", None) or "nobody"

    with flask_app(**okta_settings(okta)) as (app, _):
        app.add_url_rule("/read", "read", read)
        app.add_url_rule("/plain", "plain", lambda: "plain")
        client = app.test_client(use_cookies=False)
        ann = {"cookie": okta.cookie_header(okta.create_session(LOGIN))}
        bob = {"cookie": f"theme=dark; {okta.cookie_header(okta.create_session(other))}"}
        for headers in (ann, bob, {}, {"cookie": "theme=dark"}):
            assert client.get("/plain", headers=headers).get_data(as_text=True) == "plain"
        assert okta.calls == []  # a view that does not read it asks Okta nothing
        answers = [
            client.get("/read", headers=headers).get_data(as_text=True)
            for headers in (ann, bob, ann, {}, bob)
        ]
        assert answers == [LOGIN, other, LOGIN, "nobody", other]
        assert me_calls(okta) == 2  # one lookup per user, then cache hits
        assert [getattr(s, "login", None) for s in seen] == [LOGIN, other, LOGIN, None, other]


def test_i12_06_later_hooks_and_error_handlers_see_the_session(okta: FakeOkta) -> None:
    seen: dict[str, object] = {}

    with flask_app(**okta_settings(okta)) as (app, _):

        @app.before_request
        def later_hook() -> None:
            seen["hook"] = getattr(g.okta_session, "id", None)

        @app.errorhandler(404)
        def not_found(error: Exception) -> tuple[str, int]:
            seen["404"] = getattr(g.okta_session, "id", None)
            return "missing", 404

        @app.errorhandler(ZeroDivisionError)
        def failed(error: Exception) -> tuple[str, int]:
            session = get_okta_session()
            seen["500"] = session.id if session else None
            return "failed", 500

        app.add_url_rule("/fail", "fail", lambda: 1 // 0)
        client = app.test_client(use_cookies=False)
        sid = okta.create_session(LOGIN)
        cookie = {"cookie": okta.cookie_header(sid)}
        assert client.get("/no/such/page", headers=cookie).status_code == 404
        assert seen == {"hook": sid, "404": sid}
        assert client.get("/fail", headers=cookie).status_code == 500
        assert seen == {"hook": sid, "404": sid, "500": sid}
        assert client.get("/fail").status_code == 500
        assert seen == {"hook": None, "404": sid, "500": None}
    assert me_calls(okta) == 1


def test_i12_06_the_nonce_cookie_is_added_once_wherever_the_token_is_made(okta: FakeOkta) -> None:
    """A token made in a before_request hook, in a view (twice) or in an error handler:
    its nonce cookie is on the response, once; a request that made none gets none."""
    with flask_app(**okta_settings(okta)) as (app, _):

        @app.before_request
        def early_token() -> None:
            if request.path == "/early":
                g.early = logout_csrf_token()

        @app.errorhandler(KeyError)
        def failed(error: Exception) -> tuple[str, int]:
            return logout_csrf_token(), 400

        app.add_url_rule("/early", "early", lambda: g.early)
        twice = "{{ okta_logout_csrf_token() }} {{ okta_logout_csrf_token() }}"
        app.add_url_rule("/twice", "twice", lambda: render_template_string(twice))
        app.add_url_rule("/fails", "fails", lambda: {}["missing"])
        app.add_url_rule("/none", "none", lambda: "none")
        client = app.test_client(use_cookies=False)
        for path in ("/early", "/twice", "/fails"):
            response = client.get(path)
            assert len(_nonce_cookies(response)) == 1, path
            first, *rest = response.get_data(as_text=True).split()
            assert first and rest in ([], [first]), path  # one nonce per request
        assert _nonce_cookies(client.get("/none")) == []
        signed_in = {"cookie": okta.cookie_header(okta.create_session(LOGIN))}
        assert _nonce_cookies(client.get("/twice", headers=signed_in)) == []  # bound to sid


def test_i12_06_the_apps_after_request_hooks_see_the_nonce_cookie(okta: FakeOkta) -> None:
    """The nonce cookie is added to the response as soon as Flask runs this request's
    own after-request functions (``after_this_request``, registered by the token helper
    only when it makes a nonce), before the app's ``after_request`` hooks: a hook added
    after ``init_app`` sees it (an after_request hook of the extension ran after those,
    and cost every request)."""
    seen: list[list[str]] = []
    with flask_app(**okta_settings(okta)) as (app, _):

        @app.after_request
        def audit(response: WerkzeugResponse) -> WerkzeugResponse:
            seen.append(_nonce_cookies(response))
            return response

        response = app.test_client(use_cookies=False).get("/token")
        assert response.get_data(as_text=True)
    assert seen == [_nonce_cookies(response)]
    assert len(seen[0]) == 1


def test_i12_06_a_view_called_directly_in_a_kept_app_context_reads_its_own_request(
    okta: FakeOkta,
) -> None:
    """Flask reuses an app context already pushed (a test's ``with app.app_context()``)
    for the requests made in it, so ``g`` outlives each of them: a view called directly
    in a ``test_request_context`` there must not be judged by the session of the
    request served before it (the pending resolution lives on the request, not ``g``)."""
    with flask_app(**okta_settings(okta)) as (app, _):
        view = app.view_functions["private"]
        cookie = {"cookie": okta.cookie_header(okta.create_session(LOGIN))}
        with app.app_context():
            served = app.test_client(use_cookies=False).get("/private", headers=cookie)
            assert served.status_code == 200
            with app.test_request_context("/private"):  # no cookie: no session
                assert view().status_code == 401
                assert get_okta_session() is None
    assert me_calls(okta) == 1


def test_i12_06_an_app_overriding_ensure_sync_still_gets_protected_views_through_it(
    okta: FakeOkta,
) -> None:
    """A passing request calls a plain view directly only where Flask's own
    ``ensure_sync`` would hand it back as it is; an app's own override sees every view."""
    wrapped: list[str] = []

    class TracingFlask(Flask):
        def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
            wrapped.append(getattr(func, "__name__", "?"))
            return super().ensure_sync(func)

    app = TracingFlask(__name__)
    app.config.update(okta_settings(okta))
    extension = OktaSession(app)
    add_routes(app)
    try:
        cookie = {"cookie": okta.cookie_header(okta.create_session(LOGIN))}
        client = app.test_client(use_cookies=False)
        for path, endpoint in (("/private", "private"), ("/private-async", "private_async")):
            wrapped.clear()
            assert client.get(path, headers=cookie).status_code == 200
            name = app.view_functions[endpoint].__name__  # the view's, through wraps
            assert wrapped.count(name) == 2  # Flask's call of the guard, and the guard's
    finally:
        extension.close()
