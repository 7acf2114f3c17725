"""The Django middleware at its floor (issue 12): what its cheaper per-request work
must still do. The figures are ``python -m benchmarks --only wsgi_callgrind``'s; these
tests pin behaviour, never a cost: the lazy value made without its class call answers
as Django's, and the request, held strongly while the middleware runs, is still freed
by reference counting alone and still answers routing questions after its response.
"""

from __future__ import annotations

import copy
import gc
import weakref
from types import SimpleNamespace
from typing import Any

import django_project
import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import functional

from okta_session_mw.integrations.django import OktaSessionMiddleware, logout_csrf_token
from okta_session_mw.integrations.django.lazy import SimpleLazyObject, lazy_value
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN
from tests.integrations.django.test_django_hit_path import _what_it_does

django_project.configure()


@pytest.mark.parametrize(
    "value",
    [None, "text", [1, 2], SimpleNamespace(login="ann")],
    ids=["none", "str", "list", "object"],
)
def test_i12_50_the_lazy_value_made_without_its_class_call_answers_as_djangos(
    value: Any,
) -> None:
    """``lazy_value(func)`` (what the middleware makes per request) is the same object
    as ``SimpleLazyObject(func)``: every read answers as Django's own, the function
    runs once, and it holds no state but the function until it is read."""
    made = lazy_value(lambda: value)
    assert type(made) is SimpleLazyObject
    assert vars(made) == {}  # nothing per request but the function's slot
    assert _what_it_does(lazy_value, copy.deepcopy(value)) == _what_it_does(
        functional.SimpleLazyObject, copy.deepcopy(value)
    )
    assert _what_it_does(lazy_value, value)["bool_twice"] == ((bool(value), bool(value)), 1)


def _token_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(logout_csrf_token(request))


def _plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok")


@pytest.mark.parametrize("cookie", [None, "theme=dark"], ids=["no-cookie", "no-okta-cookie"])
def test_i12_51_a_request_without_an_okta_cookie_still_gets_its_csrf_nonce_cookie(
    okta: FakeOkta, rf: RequestFactory, cookie: str | None
) -> None:
    """The middleware tests for a token helper's nonce inline, after the view: a view
    that made a token gets the nonce cookie, one that made none gets no cookie."""
    headers = {"Cookie": cookie} if cookie else {}
    made = OktaSessionMiddleware(_token_view)(rf.get("/", headers=headers))
    assert [c.key for c in made.cookies.values()] == ["okta_mw_csrf"]
    assert made.cookies["okta_mw_csrf"].value  # the nonce the token is bound to
    assert made.content  # the token itself
    plain = OktaSessionMiddleware(_plain_view)(rf.get("/", headers=headers))
    assert not plain.cookies
    assert okta.calls == []


def _reads_twice(request: HttpRequest) -> HttpResponse:
    first = request.okta_session.login  # type: ignore[attr-defined]
    again = bool(request.okta_session)  # type: ignore[attr-defined]
    return HttpResponse(f"{first} {again}")


def test_i12_52_the_lazy_session_is_looked_up_once_per_request_and_the_request_freed(
    okta: FakeOkta, rf: RequestFactory
) -> None:
    """A cookie not cached yet: the view's reads share one Okta call, the next request
    is a hit (no call), and each request is freed by reference counting alone."""
    cookie = okta.cookie_header(okta.create_session(DEMO_LOGIN))
    gc.collect()
    gc.disable()
    try:
        for calls in (1, 1):
            request = rf.get("/", headers={"Cookie": cookie})
            response = OktaSessionMiddleware(_reads_twice)(request)
            assert response.content == f"{DEMO_LOGIN} True".encode()
            assert len(okta.calls) == calls
            freed = weakref.ref(request)
            del request
            assert freed() is None
    finally:
        gc.enable()
