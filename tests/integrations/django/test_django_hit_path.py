"""The Django middleware's per-request cost (issue 12): what it leaves behind a request.

The figures are ``python -m benchmarks --only wsgi``'s; these tests pin what makes them,
never a time: a request is freed as soon as its last reference goes (no cycle for the
garbage collector), and the cheap paths give the same answers as before.
"""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import django_project
import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import functional
from django.views.debug import SafeExceptionReporterFilter
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django import OktaSessionMiddleware, get_okta_session
from okta_session_mw.integrations.django.lazy import SimpleLazyObject
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


def _what_it_does(make: Callable[[Callable[[], Any]], Any], value: Any) -> dict[str, Any]:
    """What each read of a lazy value made by ``make`` answers (an error by its type),
    each on a fresh one, and how often its function ran."""
    calls: list[None] = []

    def func() -> Any:
        calls.append(None)
        return value

    reads: dict[str, Callable[[Any], Any]] = {
        "bool": bool,
        "eq": lambda lazy: (lazy == value, lazy == None, lazy != value),  # noqa: E711
        "str": str,
        "repr_kind": lambda lazy: repr(lazy).split(":")[0],
        "class": lambda lazy: lazy.__class__,
        "is": lambda lazy: (isinstance(lazy, type(value)), lazy is None),
        "django_kind": lambda lazy: isinstance(lazy, functional.SimpleLazyObject),
        "hash": hash,
        "len": len,
        "iter": lambda lazy: list(lazy),
        "has": lambda lazy: [hasattr(lazy, name) for name in ("__len__", "login", "nope")],
        "attr": lambda lazy: lazy.login,
        "missing": lambda lazy: lazy.nope,
        "state": lambda lazy: (lazy._wrapped is functional.empty, lazy._setupfunc is func),
        "proxy_by_name": lambda lazy: (lazy.__len__(), lazy.__eq__(value)),
        "own_by_name": lambda lazy: lazy.__reduce__()[1],
        "bool_twice": lambda lazy: (bool(lazy), bool(lazy)),
        "copy_unread": lambda lazy: copy.copy(lazy) == value,
        "copy_read": lambda lazy: (bool(lazy), copy.copy(lazy) == value),
        "deepcopy": lambda lazy: copy.deepcopy(lazy) == value,
        "pickle": lambda lazy: pickle.loads(pickle.dumps(lazy)) == value,
        "set_attr": lambda lazy: setattr(lazy, "login", "bob") or value.login,
    }
    seen: dict[str, Any] = {}
    for name, read in reads.items():
        calls.clear()
        try:
            seen[name] = (read(make(func)), len(calls))
        except Exception as exc:  # the kind of error is what is compared
            seen[name] = (type(exc).__name__, len(calls))
    return seen


@pytest.mark.parametrize(
    "value",
    [None, "text", [1, 2], SimpleNamespace(login="ann")],
    ids=["none", "str", "list", "object"],
)
def test_i12_07_the_cheap_lazy_session_answers_as_djangos_own(value: Any) -> None:
    """``request.okta_session``'s lazy value is Django's ``SimpleLazyObject`` with a
    cheaper making, ``bool`` and attribute read: every read answers as Django's does."""
    cheap = _what_it_does(SimpleLazyObject, copy.deepcopy(value))
    django = _what_it_does(functional.SimpleLazyObject, copy.deepcopy(value))
    assert cheap == django
    assert cheap["bool_twice"] == ((bool(value), bool(value)), 1)  # made once, kept
    assert cheap["is"][0] == (True, False)  # never `is None`, whatever it holds


def test_i12_07_the_middleware_gives_the_cheap_lazy_value(
    okta: FakeOkta, rf: RequestFactory
) -> None:
    request = rf.get("/")
    OktaSessionMiddleware(_reads)(request)
    assert type(request.okta_session) is SimpleLazyObject  # type: ignore[attr-defined]


class ProjectFilter(SafeExceptionReporterFilter):
    """A project's own filter class, built on Django's (Okta's secrets are added to it)."""


class UnrelatedFilter:
    """A filter of the project's own design: left alone."""


def _installed(rf: RequestFactory) -> Any:
    request = rf.get("/", headers={"Cookie": "sid=s3cr3t; theme=dark"})
    OktaSessionMiddleware(lambda request: HttpResponse())(request)
    return getattr(request, "exception_reporter_filter", None)


def test_i12_07_the_error_report_filter_follows_the_settings(
    okta: FakeOkta, rf: RequestFactory, settings: SettingsWrapper
) -> None:
    """The filter is made once per service, not per request, yet every request gets the
    one its settings call for: the project's filter class, and the configured cookies."""
    first = _installed(rf)
    assert isinstance(first, SafeExceptionReporterFilter)
    assert not isinstance(first, ProjectFilter)
    assert _installed(rf) is first  # one filter serves every request
    assert first.get_safe_cookies(rf.get("/", headers={"Cookie": "sid=s3cr3t"})) == {
        "sid": first.cleansed_substitute
    }
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = f"{__name__}.ProjectFilter"
    assert isinstance(_installed(rf), ProjectFilter)
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = f"{__name__}.UnrelatedFilter"
    assert _installed(rf) is None
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = "django.views.debug.SafeExceptionReporterFilter"
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "COOKIE_NAMES": ["theme"]}
    shown = _installed(rf).get_safe_cookies(rf.get("/", headers={"Cookie": "sid=a; theme=b"}))
    assert shown == {"sid": "a", "theme": first.cleansed_substitute}
