"""The Flask extension resolves the session lazily, as Flask-Login does ``current_user``
and Django ``request.user`` (issue 11 item 4): no Okta call until a view reads
``g.okta_session`` or ``request.okta_session``, one lookup at the first read, reused after.
Through Flask's test client against the fake Okta over real HTTP."""

from __future__ import annotations

from flask import g, request

from okta_session_mw.integrations.flask import get_okta_session
from okta_session_mw.testing import FakeOkta
from tests.support.fake_helpers import me_calls
from tests.support.flask_apps import flask_app, okta_settings
from tests.support.okta_users import LOGIN


def _reads() -> dict[str, object]:
    """Reads the session three times, through both names; says what each read gave."""
    first = g.okta_session
    second = request.okta_session  # type: ignore[attr-defined]
    third = g.okta_session
    ids = [session.id if session else None for session in (first, second, third)]
    plain = get_okta_session()
    return {"ids": ids, "plain": plain.id if plain is not None else None}


def test_i11_04_a_view_that_never_reads_the_session_causes_no_okta_call(okta: FakeOkta) -> None:
    with flask_app(**okta_settings(okta)) as (app, _):
        app.add_url_rule("/plain", "plain", lambda: "plain")
        client = app.test_client(use_cookies=False)
        live = okta.cookie_header(okta.create_session(LOGIN))
        for cookie in ("sid=not-a-session-okta-knows", live):
            response = client.get("/plain", headers={"cookie": cookie})
            assert response.get_data(as_text=True) == "plain"
    assert okta.calls == []


def test_i11_04_the_first_read_looks_up_once_and_later_reads_reuse_it(okta: FakeOkta) -> None:
    with flask_app(**okta_settings(okta)) as (app, extension):
        app.add_url_rule("/reads", "reads", _reads)
        client, stats = app.test_client(use_cookies=False), extension.service_for(app).stats
        unknown = client.get("/reads", headers={"cookie": "sid=not-a-session-okta-knows"}).json
        assert unknown == {"ids": [None, None, None], "plain": None}
        assert me_calls(okta) == 1
        # not asked again: neither of Okta nor of the cache
        assert (stats.get("resolve.miss"), stats.get("resolve.negative_hit")) == (1, 0)
        sid = okta.create_session(LOGIN)
        known = client.get("/reads", headers={"cookie": okta.cookie_header(sid)}).json
        assert known == {"ids": [sid, sid, sid], "plain": sid}
        assert me_calls(okta) == 2
        assert (stats.get("resolve.miss"), stats.get("resolve.hit")) == (2, 0)


def test_i11_04_the_session_values_are_one_lazy_kind_whatever_the_cookie(okta: FakeOkta) -> None:
    """Always the same kind, as Django's ``request.okta_session`` (one rule for both):
    a value that were a plain None only without a cookie would let ``is None`` checks
    pass every test and fail for a made-up cookie. False without a session, so
    ``if g.okta_session:`` is the test to write."""
    seen: list[tuple[type, type, bool]] = []

    def kinds() -> str:
        session = g.okta_session
        seen.append((type(session), type(request.okta_session), not session))  # type: ignore[attr-defined]
        return "ok"

    with flask_app(**okta_settings(okta)) as (app, _):
        app.add_url_rule("/kinds", "kinds", kinds)
        client = app.test_client(use_cookies=False)
        live = okta.cookie_header(okta.create_session(LOGIN))
        for headers in ({}, {"cookie": "sid=unknown-here"}, {"cookie": live}):
            assert client.get("/kinds", headers=headers).get_data(as_text=True) == "ok"
    (kind, _, _), *_ = seen
    assert seen == [(kind, kind, True), (kind, kind, True), (kind, kind, False)]
    assert me_calls(okta) == 2


def test_i11_04_an_async_view_reads_the_lazy_session_too(okta: FakeOkta) -> None:
    """Flask runs an async view on a loop of its own (``ensure_sync``): the first read
    there makes the one lookup, with the sync client, as in a sync view."""

    async def areads() -> dict[str, object]:
        return _reads()

    with flask_app(**okta_settings(okta)) as (app, _):
        app.add_url_rule("/areads", "areads", areads)
        sid = okta.create_session(LOGIN)
        client = app.test_client(use_cookies=False)
        body = client.get("/areads", headers={"cookie": okta.cookie_header(sid)}).json
        assert body == {"ids": [sid, sid, sid], "plain": sid}
    assert me_calls(okta) == 1


def test_i11_04_a_kept_session_reads_its_own_request_never_the_current_one(
    okta: FakeOkta,
) -> None:
    """A lazy value kept past its request (a link bound to its maker's session) still
    reads that request's session: never the session of whoever reads it later (review:
    one module-wide proxy read the current request's)."""
    other = "bob@example.com"
    okta.add_user(other, "another password")
    with flask_app(**okta_settings(okta)) as (app, _):
        kept: dict[str, object] = {}

        def share() -> str:  # Ann makes a link bound to her session
            kept["link"] = g.okta_session
            return "made"

        def open_link() -> str:  # whose session did the link keep?
            return getattr(kept["link"], "login", None) or "nobody"

        app.add_url_rule("/share", "share", share)
        app.add_url_rule("/open", "open", open_link)
        client = app.test_client(use_cookies=False)
        ann = okta.cookie_header(okta.create_session(LOGIN))
        bob = okta.cookie_header(okta.create_session(other))
        assert client.get("/share", headers={"cookie": ann}).get_data(as_text=True) == "made"
        assert client.get("/open", headers={"cookie": bob}).get_data(as_text=True) == LOGIN
        assert client.get("/open").get_data(as_text=True) == LOGIN


def test_i11_04_an_anonymous_or_unknown_cookie_reads_as_falsy(okta: FakeOkta) -> None:
    """The lazy value is an object, so ``is None`` never holds (as with Flask-Login's
    ``current_user`` and Django's ``request.okta_session``); its truth is the session's:
    ``if not g.okta_session`` refuses a request with no session, in Python and Jinja."""
    from flask import abort, render_template_string

    with flask_app(**okta_settings(okta)) as (app, _):

        def members_only() -> str:
            if not g.okta_session:
                abort(401)
            return render_template_string("{% if g.okta_session %}in{% else %}out{% endif %}")

        app.add_url_rule("/members", "members", members_only)
        client = app.test_client(use_cookies=False)
        assert client.get("/members").status_code == 401
        junk = client.get("/members", headers={"cookie": "sid=not-a-session-okta-knows"})
        assert junk.status_code == 401
        live = okta.cookie_header(okta.create_session(LOGIN))
        assert client.get("/members", headers={"cookie": live}).get_data(as_text=True) == "in"
