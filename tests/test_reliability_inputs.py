"""Bad input, thousands of times (issue 7): generated Cookie headers and generated Okta
bodies never crash the middleware's core, never forward a non-Okta cookie, and an
oversized cookie is refused without an Okta call. The Okta side is an
``httpx.MockTransport`` here: the point is one decision per input, many inputs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okta_session_mw import OktaSessionClient, OktaSessionConfig, Session, SessionService
from okta_session_mw.web.cookies import extract_okta_cookies

NAMES = ("sid", "idx")
MAX = 256
ORG = "https://example.okta.com"

cookie_names = st.sampled_from(["sid", "idx", "SID", "sid ", " idx", "xsid", "theme", "a", ""])
cookie_values = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=40),
    st.text(min_size=MAX - 2, max_size=MAX + 40, alphabet="ab"),  # around the size limit
    st.sampled_from(['"quoted"', '"', "a;b", "a,sid=b", "a=b", "é", "\x00", "a b", "\r\nX: y"]),
)
pairs = st.lists(st.tuples(cookie_names, cookie_values), max_size=8)
separators = st.sampled_from(["; ", ";", ", ", " ;  ", ";;"])


@st.composite
def cookie_headers(draw: st.DrawFn) -> str:
    sep = draw(separators)
    header = sep.join(f"{name}={value}" for name, value in draw(pairs))
    if draw(st.booleans()):
        header = draw(st.text(max_size=60)) + header  # junk in front
    return header


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(cookie_headers())
def test_generated_cookie_headers_forward_only_okta_cookies(header: str) -> None:
    picked = extract_okta_cookies(header, NAMES, MAX)
    if picked is None:
        return
    assert picked.pairs
    for name, value in picked.pairs:
        assert name in NAMES
        assert 0 < len(value) <= MAX
        assert value in header
        assert not set(value) & set(' ;,"\\\r\n\x00')
        assert all(0x21 <= ord(c) <= 0x7E for c in value)
    # What we forward parses back to exactly the picked pairs, nothing else.
    parsed = SimpleCookie()
    parsed.load(picked.header)
    assert {k: v.value for k, v in parsed.items()} == dict(picked.pairs)


class Recorder:
    """A MockTransport handler: records what would reach Okta, answers ``body``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.status = 404
        self.body: bytes = b'{"errorCode":"E0000007","errorSummary":"Not found"}'

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(
            self.status, content=self.body, headers={"content-type": "application/json"}
        )


@pytest.fixture(scope="module")
def recorder_service() -> Iterator[tuple[Recorder, SessionService]]:
    recorder = Recorder()
    config = OktaSessionConfig(
        org_url=ORG, api_token="tok-should-never-travel-on-me", max_cookie_length=MAX,
        negative_cache_ttl=0.0001, cache_ttl=0.0001, stale_if_error=0,
        new_cookie_lookups_per_minute=0,  # address-less calls share one allowance otherwise
    )
    client = OktaSessionClient(
        ORG, api_token=config.api_token,
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
    )
    service = SessionService(config, client=client)
    yield recorder, service
    client.close()


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture], deadline=None)
@given(header=cookie_headers())
def test_generated_headers_through_the_service(
    recorder_service: tuple[Recorder, SessionService], header: str
) -> None:
    recorder, service = recorder_service
    recorder.requests.clear()
    recorder.status, recorder.body = 404, b'{"errorCode":"E0000007"}'
    resolution = service.resolve(header)
    assert resolution.session is None
    picked = extract_okta_cookies(header, NAMES, MAX)
    if picked is None:
        assert recorder.requests == []  # no Okta cookie, or an oversized one: no call
        return
    (request,) = recorder.requests
    assert request.headers["cookie"] == picked.header
    assert "authorization" not in request.headers


def test_oversized_cookie_is_refused_without_an_okta_call(
    recorder_service: tuple[Recorder, SessionService],
) -> None:
    recorder, service = recorder_service
    recorder.requests.clear()
    assert service.resolve("sid=" + "a" * (MAX + 1)).session is None
    assert service.resolve("sid=ok; idx=" + "b" * 10_000).session is None
    assert recorder.requests == []


VALID = {
    "id": "102etAqRbcPRXGtoDMIRXgWOQ", "userId": "00uq9re9mup35oXfu1d7",
    "login": "user@example.com", "createdAt": "2025-09-22T07:01:28.000Z",
    "expiresAt": "2999-09-22T09:01:28.000Z", "status": "ACTIVE",
    "lastPasswordVerification": "2025-09-22T07:01:28.000Z", "lastFactorVerification": None,
    "amr": ["pwd"], "idp": {"id": "00onkw1sbuAh3Q06I1d7", "type": "OKTA"}, "mfaActive": True,
    "_links": {"self": {"href": ORG + "/api/v1/sessions/me", "hints": {"allow": ["GET"]}}},
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@st.composite
def okta_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["mutated", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    body: dict[str, Any] = dict(VALID)
    for key in draw(st.lists(st.sampled_from(sorted(VALID)), max_size=3)):
        if draw(st.booleans()):
            body.pop(key, None)
        else:
            body[key] = draw(json_values)
    return json.dumps(body).encode()


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture], deadline=None)
@given(body=okta_bodies(), status=st.sampled_from([200, 200, 200, 404, 429, 500, 503, 302]))
def test_generated_okta_bodies_never_crash(
    recorder_service: tuple[Recorder, SessionService], body: bytes, status: int
) -> None:
    recorder, service = recorder_service
    recorder.status, recorder.body = status, body
    service.gate.reset()  # a generated 429 must not gate the next example
    resolution = service.resolve("sid=abc123")
    if resolution.session is not None:
        assert isinstance(resolution.session, Session)
        assert status == 200
    else:
        assert resolution.unavailable or status in (200, 404)


def reference_extract(header: str, names: tuple[str, ...], limit: int) -> str | None:
    """The rule, spelled out the slow way: split on ';', then on the first '=', strip."""
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in names:
            continue
        if name in found:
            return None
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        allowed = all(c == "!" or "#" <= c <= "+" or "-" <= c <= ":" or "<" <= c <= "["
                      or "]" <= c <= "~" for c in value)
        if not value or len(value) > limit or not allowed:
            return None
        found[name] = value
    pairs = [(n, found[n]) for n in names if n in found]
    return "; ".join(f"{n}={v}" for n, v in pairs) or None


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(cookie_headers())
def test_the_fast_parser_agrees_with_the_rule_spelled_out(header: str) -> None:
    picked = extract_okta_cookies(header, NAMES, MAX)
    assert (picked.header if picked else None) == reference_extract(header, NAMES, MAX)
