"""``request.okta_session`` (issue 10): its kind does not depend on the cache, the cookie
fields of HTTP/2 are joined, and the logout views are never looked up."""

from __future__ import annotations

import json

import django_project
import httpx
import pytest
from django.core.asgi import get_asgi_application
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client, RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django import (
    OktaSessionMiddleware,
    get_okta_session,
    get_service,
)
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN
from tests.support.django_requests import ME, SAME_ORIGIN

django_project.configure()

EVIL = {"Origin": "https://evil.example"}


def _seen(request: HttpRequest) -> JsonResponse:
    value = request.okta_session  # type: ignore[attr-defined]
    return JsonResponse(
        {"kind": type(value).__name__, "is_none": value is None, "truthy": bool(value)}
    )


@pytest.mark.parametrize(
    ("cookie", "signed_in"),
    [(None, False), ("theme=dark", False), ("sid=made-up-by-hand", False), ("cached", True)],
    ids=["no-cookie", "no-okta-cookie", "made-up-sid", "cached-sid"],
)
def test_i10_07_okta_session_is_the_same_kind_whatever_the_cache_holds(
    okta: FakeOkta, rf: RequestFactory, cookie: str | None, signed_in: bool
) -> None:
    """Like ``request.user``: always the same lazy object; only its value differs, so an
    ``is None`` check fails in the tests without a cookie too, not only in production."""
    if cookie == "cached":
        cookie = okta.cookie_header(okta.create_session(DEMO_LOGIN))
        OktaSessionMiddleware(_seen)(rf.get("/", headers={"Cookie": cookie}))  # now cached
    request = rf.get("/", headers={"Cookie": cookie} if cookie else {})
    seen = json.loads(OktaSessionMiddleware(_seen)(request).content)
    assert seen == {"kind": "SimpleLazyObject", "is_none": False, "truthy": signed_in}
    assert (request.okta_session == None) is not signed_in  # type: ignore[attr-defined]  # noqa: E711
    assert (get_okta_session(request) is None) is not signed_in


def _split_fields(sid: str) -> list[tuple[str, str]]:
    """One ``Cookie`` field per cookie, as an HTTP/2 client (or proxy) sends them."""
    return [("Cookie", "theme=dark"), ("Cookie", f"sid={sid}"), ("Cookie", "lang=en")]


def _assert_logged_out(okta: FakeOkta, sid: str, key: str, response: httpx.Response) -> None:
    assert response.status_code == 303
    (close,) = okta.calls_to("DELETE", ME)
    assert close.cookies == {"sid": sid}
    assert okta.session(sid) is None
    assert get_service().cache.get(key) is None  # evicted
    (expired,) = response.headers.get_list("set-cookie")
    assert expired.startswith('sid=""') and "Max-Age=0" in expired


def _key(sid: str) -> str:
    service = get_service()
    return service.key_for(service.okta_cookies(f"sid={sid}"))  # type: ignore[arg-type]


def test_i10_04_split_cookie_fields_logout_closes_session_wsgi(
    okta: FakeOkta, wsgi_server: str
) -> None:
    """A WSGI server joins repeated fields with commas (CGI's rule) into ``HTTP_COOKIE``."""
    sid = okta.create_session(DEMO_LOGIN)
    html = [("Accept", "text/html"), ("Origin", wsgi_server)]
    with httpx.Client(base_url=wsgi_server, trust_env=False, timeout=10) as http:
        assert http.get("/public/", headers=_split_fields(sid)).json()["id"] == sid
        assert get_service().cache.get(_key(sid)) is not None
        response = http.post("/okta/logout/", headers=[*_split_fields(sid), *html])
    _assert_logged_out(okta, sid, _key(sid), response)


def test_i10_04_a_quoted_comma_in_another_cookie_is_not_a_field_boundary_wsgi(
    okta: FakeOkta, wsgi_server: str
) -> None:
    """Django reads ``note="x,sid=junk"`` as one cookie; so does the middleware."""
    sid = okta.create_session(DEMO_LOGIN)
    fields = [("Cookie", 'note="x,sid=junk"'), ("Cookie", f"sid={sid}")]
    with httpx.Client(base_url=wsgi_server, trust_env=False, timeout=10) as http:
        assert http.get("/public/", headers=fields).json().get("id") == sid
        planted = [("Cookie", f'note="a,sid={sid},b"')]
        assert http.get("/public/", headers=planted).json() == {"login": None, "truthy": False}


async def test_i10_04_split_cookie_fields_logout_closes_session_asgi(aokta: FakeOkta) -> None:
    """Under ASGI the fields arrive apart in the scope (``META`` would join them with
    commas): several ``cookie`` headers, as an HTTP/2 server passes them on."""
    sid = aokta.create_session(DEMO_LOGIN)
    transport = httpx.ASGITransport(app=get_asgi_application())
    html = [("Accept", "text/html"), ("Origin", "http://testserver")]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/apublic/", headers=_split_fields(sid))).json()["id"] == sid
        response = await http.post("/alogout/", headers=[*_split_fields(sid), *html])
    _assert_logged_out(aokta, sid, _key(sid), response)


READER = "django_project.middleware.reads_the_session"


@pytest.fixture
def reader(settings: SettingsWrapper) -> None:
    """A project middleware after ours that reads ``request.okta_session`` every time."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, READER]


@pytest.mark.usefixtures("reader")
@pytest.mark.parametrize("cached", [False, True], ids=["not-cached", "cached"])
@pytest.mark.parametrize("path", ["/okta/logout/", "/alogout/", "/bye/"])
def test_i10_05_refused_logout_makes_no_okta_call(
    okta: FakeOkta, cached: bool, path: str
) -> None:
    """Wherever the URLconf mounts a logout view (``include`` prefix, own paths): the
    view marks itself, and the core never looks such a request up."""
    client, sid = Client(), okta.create_session(DEMO_LOGIN)
    cookie = {"Cookie": okta.cookie_header(sid)}
    other = {"Cookie": okta.cookie_header(okta.create_session(DEMO_LOGIN))}
    read = client.get("/untouched/", headers=cookie if cached else other)
    assert read["X-Signed-In"] == "yes"  # the reader does read (and caches)
    okta.clear_calls()
    response = client.post(path, headers={**cookie, **EVIL})
    assert response.status_code == 403
    assert okta.calls == []
    assert okta.session(sid) is not None
    assert response["X-Signed-In"] == "no"  # logout never has a session to read


@pytest.mark.usefixtures("reader")
async def test_i10_05_refused_logout_makes_no_okta_call_asgi(aokta: FakeOkta) -> None:
    client, sid = AsyncClient(), aokta.create_session(DEMO_LOGIN)
    cookie = {"Cookie": aokta.cookie_header(sid)}
    for path in ("/okta/logout/", "/alogout/", "/bye/"):
        response = await client.post(path, headers={**cookie, **EVIL})
        assert response.status_code == 403
    assert aokta.calls == []
    allowed = await client.post("/alogout/", headers={**cookie, **SAME_ORIGIN})
    assert allowed.status_code == 204
    assert [call.method for call in aokta.calls] == ["DELETE"]  # the close, no lookup


def test_i11_02_exempt_paths_under_a_script_name_are_never_looked_up(
    okta: FakeOkta, settings: SettingsWrapper
) -> None:
    """The core judges the path the URLconf sees (``path_info``), in every adapter:
    under ``SCRIPT_NAME=/app`` an exempt ``/public/`` is ``/app/public/`` on the wire."""
    settings.OKTA_SESSION = {**settings.OKTA_SESSION, "EXEMPT_PATHS": ["/public/"]}
    cookie = {"Cookie": okta.cookie_header(okta.create_session(DEMO_LOGIN))}
    body = Client().get("/public/", SCRIPT_NAME="/app", headers=cookie).json()
    assert body["login"] is None
    assert okta.calls == []
    looked_up = Client().get("/apublic/", SCRIPT_NAME="/app", headers=cookie).json()
    assert looked_up["login"] == DEMO_LOGIN
