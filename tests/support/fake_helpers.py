"""Helpers for tests that use the fake Okta: an httpx client for it, a few constants, and
``me_calls`` (how many lookups reached it)."""

from __future__ import annotations

import contextlib
import functools
import re
import zlib
from collections.abc import Iterator

import httpx

from okta_session_mw.testing import FakeOkta, serve_fake_okta
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN, DEMO_PASSWORD

__all__ = [
    "API",
    "DEMO_LOGIN",
    "DEMO_PASSWORD",
    "EPOCH",
    "ME",
    "OKTA_DATE",
    "assert_okta_error",
    "gzip_of_zeros",
    "me_calls",
    "okta_client",
    "served",
]

API = {"Authorization": "SSWS test-token"}
ME = "/api/v1/sessions/me"
EPOCH = 1_758_524_488.0
"""2025-09-22T07:01:28Z: a frozen clock for tests that move time themselves."""
OKTA_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def me_calls(fake: FakeOkta) -> int:
    """How many GetCurrentSession calls reached the fake."""
    return len(fake.calls_to("GET", "/api/v1/sessions/me"))


@contextlib.contextmanager
def okta_client(base_url: str | None, *, timeout: float = 5.0) -> Iterator[httpx.Client]:
    """An httpx client for the fake, ignoring proxy variables (the fake is on loopback)."""
    assert base_url is not None, "the fake is not served"
    with httpx.Client(base_url=base_url, trust_env=False, timeout=timeout) as client:
        yield client


@contextlib.contextmanager
def served(fake: FakeOkta) -> Iterator[httpx.Client]:
    """Serve ``fake`` and give a client for it."""
    with serve_fake_okta(fake) as base_url, okta_client(base_url) as client:
        yield client


def assert_okta_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    """``response`` is Okta's error body for ``code`` with ``status``; returns the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    assert body["errorCode"] == code
    assert body["errorLink"] == code
    assert body["errorCauses"] == []
    assert isinstance(body["errorId"], str)
    assert body["errorId"]
    return body


@functools.cache
def gzip_of_zeros(size: int) -> bytes:
    """``size`` zero bytes, gzipped (1 GiB makes about 1 MB): a decompression bomb."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(min(size, 1 << 20))
    parts = [packer.compress(block) for _ in range(size // len(block))]
    parts.append(packer.compress(bytes(size % len(block))))
    parts.append(packer.flush())
    return b"".join(parts)
