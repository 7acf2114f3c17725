"""RedisCodec without Redis: the value format, its cipher, and what it refuses."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from okta_session_mw.cache.redis.codec import MAX_VALUE_BYTES, BadValueError, RedisCodec
from tests.support.redis_entries import PREFIX, SECRET, STORED, entry_for, key, make_session

SID = "102SeSsIoNiD0123456789ab"


def codec() -> RedisCodec:
    return RedisCodec(SECRET.encode(), PREFIX)


def hkdf(length: int, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=length, salt=salt, info=info).derive(SECRET.encode())


def test_i10_11_values_are_aes_256_gcm_under_keys_hkdf_derives_from_the_secret():
    """The format as documented, opened with nothing but ``cryptography`` and the secret."""
    k = key("sid=" + SID)
    raw = codec().encode(k, entry_for(make_session(SID)))
    head, sealed = raw[:81], raw[81:]
    assert head[0] == 2
    names = hkdf(32, None, b"okta-session-mw/redis/names: HMAC-SHA256 key of session ids")
    digest = hmac.new(names, SID.encode(), hashlib.sha256).hexdigest()
    assert head[1:65] == digest.encode()  # the session's name: HKDF key, HMAC-SHA256
    assert codec().ended_key(SID) == STORED + "x:" + digest
    material = hkdf(44, head[65:81], b"okta-session-mw/redis/value: AES-256-GCM key and nonce")
    text = AESGCM(material[:32]).decrypt(material[32:], sealed, (STORED + "e:" + k).encode() + head)
    okta = json.loads(text)[-1]
    assert okta["id"] == SID and okta["login"] == "ann@example.com"
    assert SID.encode() not in raw and b"ann@example.com" not in raw


def test_round_trip_and_every_edit_is_refused():
    made, k = codec(), key("sid=" + SID)
    entry = entry_for(make_session(SID))
    raw = made.encode(k, entry)
    assert made.decode(k, raw) == entry
    assert raw != made.encode(k, entry)  # a fresh salt each time
    negative = entry_for(None)
    assert made.decode(k, made.encode(k, negative)) == negative
    for at in range(len(raw)):  # any byte: header, ciphertext or tag
        edited = bytearray(raw)
        edited[at] ^= 0x01
        with pytest.raises(BadValueError):
            codec().decode(k, bytes(edited))
    for size in (0, 1, 80, 97, len(raw) - 1):
        with pytest.raises(BadValueError):
            codec().decode(k, raw[:size])
    with pytest.raises(BadValueError):
        codec().decode(key("sid=other"), raw)  # moved to another key
    with pytest.raises(BadValueError):
        RedisCodec(b"another-secret-of-enough-length", PREFIX).decode(k, raw)


def test_old_format_and_oversize_values_are_refused_without_their_bytes_in_the_message():
    k = key("sid=" + SID)
    far = b"%015d" % 99_999_999_999_999
    old = b"\x00" * 16 + b"\x01" + far + b"\x00\x00" + b'[1,2,3,null,null]'  # version 1
    huge = b"\x02" + b"9" * MAX_VALUE_BYTES
    for value in (old, huge, b"x" * 54):
        with pytest.raises(BadValueError) as caught:
            codec().decode(k, value)
        assert "999" not in str(caught.value) and "xxx" not in str(caught.value)


def test_a_session_too_large_to_share_is_refused_before_it_is_written():
    session = make_session(SID)
    # Strings of 4000: a Session keeps none longer than 4 KiB of an unknown field.
    padding = {f"padding{i}": "p" * 4000 for i in range(MAX_VALUE_BYTES // 4000 + 1)}
    fat = type(session).from_okta({**session.to_okta(), **padding})
    with pytest.raises(BadValueError, match="larger than"):
        codec().encode(key("sid=" + SID), entry_for(fat))
