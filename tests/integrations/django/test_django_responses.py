"""The core's ``Reply`` as Django responses: redirects are Django's redirect classes, so
Django's own test tools follow them (issue 10, item 20)."""

from __future__ import annotations

import django_project
from django.http import HttpResponseRedirect
from django.test import Client, SimpleTestCase
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django.responses import render_reply
from okta_session_mw.testing import FakeOkta
from okta_session_mw.web.reply import Reply
from tests.support.django_requests import HTML, SAME_ORIGIN

django_project.configure()

_django = SimpleTestCase()  # Django's assertions, outside a TestCase class


def test_i10_20_logout_redirect_is_followed_by_the_test_client(okta: FakeOkta) -> None:
    cookie = okta.cookie_header(okta.create_session("demo@example.com"))
    response = Client().post(
        "/okta/logout/", headers={**HTML, **SAME_ORIGIN, "Cookie": cookie}, follow=True
    )
    assert response.redirect_chain == [("/", 303)]
    _django.assertRedirects(response, "/", status_code=303, target_status_code=404)


def test_i10_20_login_redirect_is_followed_by_the_test_client(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "LOGIN_URL": "/untouched/"}
    response = Client().get("/protected/", headers=HTML, follow=True)
    _django.assertRedirects(response, "/untouched/?next=%2Fprotected%2F", status_code=303)
    assert okta.calls == []


def test_i10_20_a_redirect_reply_renders_as_a_django_redirect() -> None:
    reply = Reply(303, (("location", "/bye"), ("set-cookie", 'sid=""; Path=/; Max-Age=0')))
    response = render_reply(reply)
    assert isinstance(response, HttpResponseRedirect)
    assert (response.status_code, response.url) == (303, "/bye")
    assert response.cookies["sid"]["max-age"] == "0"
    assert "Content-Type" not in response.headers
