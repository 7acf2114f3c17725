"""The Django middleware's per-request cost (issue 12): what it leaves behind a request.

The figures are ``python -m benchmarks --only wsgi``'s; these tests pin what makes them,
never a time: a request is freed as soon as its last reference goes (no cycle for the
garbage collector), and the cheap paths give the same answers as before.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import django_project
import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from okta_session_mw.integrations.django import OktaSessionMiddleware, get_okta_session
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN

django_project.configure()


def _reads(request: HttpRequest) -> HttpResponse:
    signed_in = bool(request.okta_session)  # type: ignore[attr-defined]
    return HttpResponse("yes" if signed_in else "no")


@pytest.fixture
def no_collector() -> Iterator[None]:
    """The cyclic garbage collector off: only reference counting frees anything."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.usefixtures("no_collector")
@pytest.mark.parametrize(
    ("cookie", "signed_in"),
    [(None, False), ("theme=dark", False), ("sid=made-up-by-hand", False), ("cached", True)],
    ids=["no-cookie", "no-okta-cookie", "made-up-sid", "cached-sid"],
)
def test_i12_07_a_request_is_freed_without_the_garbage_collector(
    okta: FakeOkta, rf: RequestFactory, cookie: str | None, signed_in: bool
) -> None:
    """The request holds its lazy session and pending resolution; they must not hold it
    back, or every request becomes a cycle the collector has to find (and its
    environ, headers and session live until it does)."""
    if cookie == "cached":
        cookie = okta.cookie_header(okta.create_session(DEMO_LOGIN))
        OktaSessionMiddleware(_reads)(rf.get("/", headers={"Cookie": cookie}))
    request = rf.get("/", headers={"Cookie": cookie} if cookie else {})
    response = OktaSessionMiddleware(_reads)(request)
    assert response.content == (b"yes" if signed_in else b"no")
    assert (get_okta_session(request) is not None) is signed_in  # read after the response
    freed = weakref.ref(request)
    del request
    assert freed() is None


def test_i12_07_a_session_value_kept_past_its_request_still_answers(
    okta: FakeOkta, rf: RequestFactory
) -> None:
    """The pending resolution holds its request weakly; a value read only after the
    request is gone (kept by a task, say) is looked up as any other."""
    cookie = okta.cookie_header(okta.create_session(DEMO_LOGIN))
    request = rf.get("/", headers={"Cookie": cookie})
    OktaSessionMiddleware(lambda request: HttpResponse())(request)
    kept = request.okta_session  # type: ignore[attr-defined]
    del request
    gc.collect()
    assert kept.login == DEMO_LOGIN
    assert len(okta.calls) == 1
