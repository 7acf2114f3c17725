"""The cache key of a cookie (``cache.protocol.cookie_hasher``) is HMAC-SHA256 under the
secret, computed from two pre-keyed hashes (issue 12: half the cost of copying an
``hmac`` object on every request): equal to ``hmac.new`` for every key and cookie."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from okta_session_mw.cache.protocol import cache_key, cookie_hasher


@settings(max_examples=2000, deadline=None)
@given(secret=st.binary(min_size=0, max_size=200), cookie=st.text(max_size=300))
def test_i12_01_the_cookie_hash_is_hmac_sha256_of_the_cookie(secret: bytes, cookie: str) -> None:
    """Keys shorter than, equal to and longer than SHA-256's 64-byte block (hashed
    first, as RFC 2104 says), any cookie text (UTF-8 encoded)."""
    expected = hmac.new(secret, cookie.encode(), hashlib.sha256).hexdigest()
    assert cookie_hasher(secret)(cookie) == expected
    assert cache_key(secret, cookie) == expected


def test_i12_01_one_hasher_gives_the_same_key_every_time_and_a_key_per_cookie() -> None:
    key_of = cookie_hasher(b"k" * 32)
    assert key_of("sid=a") == key_of("sid=a") != key_of("sid=b")
    assert cookie_hasher(b"other secret")("sid=a") != key_of("sid=a")
