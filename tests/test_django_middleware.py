"""``request.okta_session`` (issue 10): its kind does not depend on the cache, the cookie
fields of HTTP/2 are joined, and the logout views are never looked up."""

from __future__ import annotations

import json

import httpx
import pytest
from django.core.asgi import get_asgi_application
from django.http import HttpRequest, JsonResponse
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.integrations.django import (
    OktaSessionMiddleware,
    get_okta_session,
    get_service,
)
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN
from tests.test_django import ME, SAME_ORIGIN, aokta, okta, wsgi_server

__all__ = ["aokta", "okta", "wsgi_server"]  # fixtures shared with test_django.py

EVIL = {"Origin": "https://evil.example"}


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


