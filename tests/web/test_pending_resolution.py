"""``PendingResolution``: settled at once when no I/O is needed, else looked up at the
first read, once (Flask and Django). Okta is a ``MockTransport`` here: the point is how
many lookups each read makes, counted where they would leave the process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from okta_session_mw import (
    AsyncOktaSessionClient,
    OktaSessionClient,
    OktaSessionConfig,
    Resolution,
    SessionService,
)
from okta_session_mw.engine.resolution import Source
from okta_session_mw.web.pending_resolution import PendingResolution
from tests.support.okta_answers import NOW, SESSION, response

ORG = "https://example.okta.com"
COOKIE = "theme=dark; sid=102etAqRbcPRXGtoDMIRXgWOQ"


class Okta:
    """Counts the requests that would reach Okta; answers every one with ``SESSION``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return response(200, SESSION, {"content-type": "application/json"})


@pytest.fixture
def okta() -> Okta:
    return Okta()


@pytest.fixture
def service(okta: Okta) -> Iterator[SessionService]:
    transport = httpx.MockTransport(okta)
    client = OktaSessionClient(ORG, http_client=httpx.Client(transport=transport))
    svc = SessionService(
        OktaSessionConfig(org_url=ORG, refresh_threshold=0, logout_path="/bye"),
        client=client,
        async_client_factory=lambda: AsyncOktaSessionClient(
            ORG, http_client=httpx.AsyncClient(transport=transport)
        ),
        clock=lambda: NOW,
    )
    yield svc
    svc.close()
    client.close()


class Routed(PendingResolution):
    """An adapter whose router may send the request to a logout view elsewhere."""

    __slots__ = ("asked", "to_logout")

    def __init__(self, service: SessionService, cookie: str | None, to_logout: bool) -> None:
        self.asked, self.to_logout = 0, to_logout
        super().__init__(service, cookie, "/account", "10.0.0.1")

    def routed_to_logout(self) -> bool:
        self.asked += 1
        return self.to_logout


def test_i11_05_made_at_once_with_no_lookup(service: SessionService, okta: Okta) -> None:
    PendingResolution(service, COOKIE, "/account", "10.0.0.1")
    assert okta.requests == []  # nothing asked until the session is read


def test_i11_05_the_first_resolve_looks_up_once_and_later_reads_reuse_it(
    service: SessionService, okta: Okta
) -> None:
    pending = PendingResolution(service, COOKIE, "/account", "10.0.0.1")
    first = pending.resolve()
    assert (first.source, len(okta.requests)) == (Source.MISS, 1)
    assert first.session is not None and first.session.id == SESSION["id"]
    assert pending.resolve() is first
    assert pending.session() is first.session
    assert pending.ready() is first
    assert len(okta.requests) == 1


async def test_i11_05_the_first_aresolve_looks_up_once_too(
    service: SessionService, okta: Okta
) -> None:
    pending = PendingResolution(service, COOKIE, "/account", "10.0.0.1")
    first = await pending.aresolve()
    assert first.source is Source.MISS
    assert await pending.aresolve() is first
    assert (await pending.asession()) is first.session
    assert pending.resolve() is first  # either colour reads the kept one
    assert len(okta.requests) == 1
    await service.aclose()  # the async client is this loop's


def test_i11_05_a_cached_session_is_settled_when_made(service: SessionService, okta: Okta) -> None:
    PendingResolution(service, COOKIE, "/account", None).resolve()
    again = PendingResolution(service, COOKIE, "/account", None)
    ready = again.ready()
    assert isinstance(ready, Resolution) and ready.source is Source.HIT
    assert len(okta.requests) == 1


@pytest.mark.parametrize(("cookie", "path"), [(None, "/account"), (COOKIE, "/bye")])
def test_i11_05_no_cookie_or_never_looked_up_is_settled_at_once(
    service: SessionService, okta: Okta, cookie: str | None, path: str
) -> None:
    pending = PendingResolution(service, cookie, path, None)
    assert pending.ready() == Resolution(None, Source.NO_COOKIE)
    assert pending.session() is None
    assert okta.requests == []


def test_i11_05_a_request_routed_to_logout_is_never_looked_up(
    service: SessionService, okta: Okta
) -> None:
    pending = Routed(service, COOKIE, to_logout=True)
    assert pending.resolve() == Resolution(None, Source.NO_COOKIE)
    assert pending.session() is None
    assert (pending.asked, okta.requests) == (1, [])  # asked once, at the first read


def test_i11_05_the_router_is_asked_once_and_only_with_an_okta_cookie(
    service: SessionService, okta: Okta
) -> None:
    signed_in = Routed(service, COOKIE, to_logout=False)
    assert signed_in.asked == 0  # not when made
    signed_in.ready()
    signed_in.resolve()
    assert (signed_in.asked, len(okta.requests)) == (1, 1)
    visitor = Routed(service, "theme=dark", to_logout=True)
    assert visitor.resolve().source is Source.NO_COOKIE
    assert visitor.asked == 0  # no Okta cookie: nothing to keep from a lookup


def test_i11_05_pending_resolution_repr_shows_no_cookie(service: SessionService) -> None:
    pending = PendingResolution(service, COOKIE, "/account", None)
    assert repr(pending) == "PendingResolution(resolved=False)"
    pending.resolve()
    assert repr(pending) == "PendingResolution(resolved=True)"
