"""Client wiring over httpx's MockTransport: settings, credentials, timeouts, drivers.

What the fake Okta cannot show: the exact ``timeout`` handed to httpx, a bearer function
called afresh for every call, a redirect never followed, both drivers' sleep-and-retry
path (with a zero wait), and every refused setting.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterator
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from okta_session_mw.errors import (
    ConfigError,
    InvalidRequestError,
    OktaInvalidResponseError,
    OktaRateLimitError,
)
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from tests.support.okta_answers import NOW, SESSION, okta_error

ORG = "https://example.okta.com"
Handler = Callable[[httpx.Request], httpx.Response]


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=SESSION)


class Recorder:
    """A MockTransport handler that keeps every request and answers from a script."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.requests: list[httpx.Request] = []
        self._answers: Iterator[httpx.Response] = iter(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return next(self._answers, None) or ok(request)


@pytest.fixture(params=["sync", "async"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """``make(handler, **kwargs)``: ``await call(operation, *args)`` on a fresh client."""
    made: list[OktaSessionClient | AsyncOktaSessionClient] = []

    def build(handler: Handler, **kwargs: Any) -> Callable[..., Any]:
        transport = httpx.MockTransport(handler)
        if request.param == "sync":
            client: Any = OktaSessionClient(
                ORG, http_client=httpx.Client(transport=transport), **kwargs
            )
        else:
            client = AsyncOktaSessionClient(
                ORG, http_client=httpx.AsyncClient(transport=transport), **kwargs
            )
        made.append(client)

        async def call(name: str, *args: Any, **kw: Any) -> Any:
            result = getattr(client, name)(*args, **kw)
            return await result if request.param == "async" else result

        return call

    yield build
    for client in made:  # the httpx clients are ours here: close them
        if isinstance(client, AsyncOktaSessionClient):
            await client.http_client.aclose()
        else:
            client.http_client.close()


async def test_timeouts_reach_httpx(make: Callable[..., Any]) -> None:
    seen = Recorder()
    call = make(seen, api_token="t", timeout=7)
    await call("get_session", "s")
    await call("get_session", "s", timeout=0.5)
    assert seen.requests[0].extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 7.0
    )
    assert seen.requests[1].extensions["timeout"]["read"] == 0.5
    with pytest.raises(InvalidRequestError, match="timeout"):
        await call("get_session", "s", timeout=0)


async def test_bearer_function_is_asked_for_every_call(make: Callable[..., Any]) -> None:
    seen = Recorder()
    counter = itertools.count(1)
    call = make(seen, bearer_token=lambda: f"at-{next(counter)}")
    await call("get_session", "s")
    await call("refresh_session", "s")
    assert [r.headers["Authorization"] for r in seen.requests] == ["Bearer at-1", "Bearer at-2"]


async def test_bearer_function_must_return_a_token(make: Callable[..., Any]) -> None:
    call = make(Recorder(), bearer_token=lambda: "bad\r\ntoken")
    with pytest.raises(ConfigError, match="bearer_token") as info:
        await call("get_session", "s")
    assert "bad" not in str(info.value)


def test_sync_client_refuses_an_awaitable_bearer_token() -> None:
    async def token() -> str:
        return "at"

    source: Any = lambda: token()  # noqa: E731 - a plain function returning a coroutine
    with httpx.Client(transport=httpx.MockTransport(ok)) as http:
        client = OktaSessionClient(ORG, bearer_token=source, http_client=http)
        with pytest.raises(ConfigError, match="async client"):
            client.get_session("s")  # and no "coroutine was never awaited" warning


async def test_redirects_are_not_followed(make: Callable[..., Any]) -> None:
    seen = Recorder(httpx.Response(302, headers={"Location": "https://evil.example/steal"}))
    call = make(seen)
    with pytest.raises(OktaInvalidResponseError):
        await call("get_current_session", "sid=abc")
    assert len(seen.requests) == 1


async def test_both_drivers_sleep_and_retry(make: Callable[..., Any]) -> None:
    headers = {
        "Date": formatdate(NOW, usegmt=True),
        "X-Rate-Limit-Reset": str(NOW - 5),  # already past: a zero wait
        "X-Okta-Request-Id": "first",
    }
    limited = httpx.Response(429, headers=headers, json=okta_error("E0000047", "slow down"))
    seen = Recorder(limited)
    call = make(seen, api_token="t", max_retries=1, max_retry_wait=0)
    assert (await call("get_session", "s")).id == SESSION["id"]
    assert seen.requests[1].headers["X-Okta-Retry-For"] == "first"
    seen = Recorder(limited, limited)
    call = make(seen, api_token="t", max_retries=1, max_retry_wait=0)
    with pytest.raises(OktaRateLimitError):
        await call("get_session", "s")


async def test_authn_sends_no_credential(make: Callable[..., Any]) -> None:
    seen = Recorder(httpx.Response(200, json={"status": "SUCCESS", "sessionToken": "st"}))
    call = make(seen, api_token="t", bearer_token="b")
    assert await call("authenticate", "ann", "pw") == "st"
    assert "Authorization" not in seen.requests[0].headers
    assert json.loads(seen.requests[0].content) == {"username": "ann", "password": "pw"}


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": True}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"max_retry_wait": -1}, "max_retry_wait"),
        ({"api_token": ""}, "api_token"),
        ({"api_token": "secret\r\nX: y"}, "api_token"),
        ({"api_token": " secret"}, "api_token"),
        ({"bearer_token": "secret\n"}, "bearer_token"),
        ({"user_agent": "app\r\n"}, "user_agent"),
        ({"org_url": "http://example.okta.com"}, "org_url"),
    ],
)
@pytest.mark.parametrize("kind", [OktaSessionClient, AsyncOktaSessionClient])
def test_bad_settings(kind: type[Any], kwargs: dict[str, Any], setting: str) -> None:
    settings = {"org_url": ORG, **kwargs}
    with pytest.raises(ConfigError) as info:
        kind(settings.pop("org_url"), **settings)
    assert info.value.setting == setting
    assert "secret" not in str(info.value)


def test_repr_shows_the_org_url_only() -> None:
    client = OktaSessionClient(ORG + "/", api_token="secret-token", bearer_token="secret-bearer")
    assert repr(client) == "OktaSessionClient(org_url='https://example.okta.com')"
    assert client.org_url == ORG
    client.close()
