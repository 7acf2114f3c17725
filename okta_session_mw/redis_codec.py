"""How a cache entry is named and stored in Redis: key names and a compact, sealed value.

Nothing secret is stored in the clear. Names are built from the cache key (already an
HMAC of the cookies) or from an HMAC of the session id. A value is Okta's session JSON
and the entry's times, with the session id taken out of the text and stored encrypted:
for a ``sid`` cookie the session id *is* the cookie, so whoever can read Redis must not
learn it. The whole value carries a MAC bound to its key, so a value copied onto another
key, edited, or written by someone without the secret is refused (read as a miss).

Value layout (bytes)::

    tag (16) | version (1) | fresh until (15) | sealed-id length (2) | sealed id | JSON

* fresh until: epoch milliseconds, 15 ASCII digits, so the claim script in
  ``redis_ops.py`` can tell a fresh entry without decoding it (bytes 18-32).

* JSON text: ``[fetched_at, fresh_until, stale_until, refreshed_for, okta_json]`` with
  every occurrence of the session id replaced by NUL (``json.dumps`` never emits a raw
  NUL, so putting the id back is exact); ``okta_json`` is null for a negative entry.
* sealed id: 12-byte random nonce, then the id XORed with HMAC-SHA256(k_enc, nonce |
  counter) blocks (HMAC as a PRF in counter mode, standard library only).
* tag: HMAC-SHA256(k_mac, key | everything after the tag), first 16 bytes.

k_enc, k_mac and the session-id hashes each derive from ``secret_key`` under their own
label, so one secret serves every purpose without reuse.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from typing import Any

from cachetools import LRUCache

from okta_session_mw.cache import CacheEntry, cache_key
from okta_session_mw.session import Session

__all__ = ["RedisCodec"]

_VERSION = 1
_FRESH_DIGITS = 15
_HEAD = 1 + _FRESH_DIGITS + 2  # version, fresh until, sealed-id length
_TAG = 16
_NONCE = 12
_BLOCK = 32
_HEX = frozenset("0123456789abcdef")


def _derive(secret: bytes, label: str) -> bytes:
    return hmac.new(secret, b"okta-session-mw/redis/" + label.encode(), hashlib.sha256).digest()


def _json_fragment(text: str) -> str:
    """``text`` as it appears inside a JSON string written by ``json.dumps``."""
    return json.dumps(text)[1:-1]


class RedisCodec:
    """Key names under ``prefix`` and the value format (see the module docstring)."""

    def __init__(self, secret: bytes, prefix: str, *, maxsize: int = 10_000) -> None:
        self._decoded: LRUCache[str, tuple[bytes, CacheEntry]] = LRUCache(maxsize)
        self._lock = threading.Lock()
        self._secret = secret
        self._enc = _derive(secret, "encrypt")
        self._mac = _derive(secret, "mac")
        self.prefix = prefix
        self.entry_prefix = prefix + "e:"
        self.claim_prefix = prefix + "c:"

    # -- names ------------------------------------------------------------------------
    def entry_key(self, key: str) -> str:
        """Where the entry for a cache key lives. Refuses anything but a hex digest, so a
        raw cookie passed by mistake never becomes a Redis key."""
        if len(key) != 64 or not _HEX.issuperset(key):
            raise ValueError("cache keys must be cache_key() digests (64 hex characters)")
        return self.entry_prefix + key

    def claim_key(self, key: str) -> str:
        """The cross-process single-flight marker for a cache key."""
        return self.claim_prefix + self.entry_key(key)[len(self.entry_prefix) :]

    def session_digest(self, session_id: str) -> str:
        return cache_key(self._secret, "okta-session-id=" + session_id)

    def index_key(self, session_id: str) -> str:
        """The set of cache keys holding this session (for logout and admin revoke)."""
        return self.prefix + "s:" + self.session_digest(session_id)

    def ended_key(self, session_id: str) -> str:
        """Marks a session just logged out or revoked: no worker may cache it again."""
        return self.prefix + "x:" + self.session_digest(session_id)

    def ended_cookie_key(self, key: str) -> str:
        """Marks a cookie just logged out (its session id may be unknown: ``idx``)."""
        return self.prefix + "y:" + self.entry_key(key)[len(self.entry_prefix) :]

    # -- values -----------------------------------------------------------------------
    def encode(self, key: str, entry: CacheEntry) -> bytes:
        session = entry.session
        head: list[Any] = [entry.fetched_at, entry.fresh_until, entry.stale_until]
        head.append(entry.refreshed_for)
        okta = session.to_okta() if session is not None else None
        text = json.dumps([*head, okta], separators=(",", ":"))
        sealed = b""
        if session is not None and session.id:
            text = text.replace(_json_fragment(session.id), "\0")
            sealed = self._seal(session.id.encode())
        fresh_ms = b"%0*d" % (_FRESH_DIGITS, max(0, int(entry.fresh_until * 1000)))
        payload = bytes([_VERSION]) + fresh_ms + len(sealed).to_bytes(2, "big") + sealed
        payload += text.encode()
        return self._tag(key, payload) + payload

    def decode(self, key: str, raw: bytes) -> CacheEntry:
        """The entry stored under ``key``; ``ValueError`` when it is not one we wrote.

        The same bytes under the same key decode to the same entry, so the last
        decoding per key is remembered (an answer changes once per cache TTL, and
        parsing Okta's JSON costs more than the Redis round trip). Only the parsing is
        saved: Redis is still asked every time, so evictions take effect at once.
        """
        with self._lock:
            known = self._decoded.get(key)
        if known is not None and known[0] == raw:
            return known[1]
        entry = self._decode(key, raw)
        with self._lock:
            self._decoded[key] = (raw, entry)
        return entry

    def _decode(self, key: str, raw: bytes) -> CacheEntry:
        tag, payload = raw[:_TAG], raw[_TAG:]
        if len(payload) < _HEAD or not hmac.compare_digest(tag, self._tag(key, payload)):
            raise ValueError("Redis cache value failed its integrity check")
        if payload[0] != _VERSION:
            raise ValueError(f"Redis cache value has unknown version {payload[0]}")
        size = int.from_bytes(payload[_HEAD - 2 : _HEAD], "big")
        sealed, text = payload[_HEAD : _HEAD + size], payload[_HEAD + size :].decode()
        if sealed:
            text = text.replace("\0", _json_fragment(self._open(sealed).decode()))
        fetched, fresh, stale, refreshed, okta = json.loads(text)
        session = Session.from_okta(okta) if okta is not None else None
        return CacheEntry(session, fetched, fresh, stale, refreshed)

    def _tag(self, key: str, payload: bytes) -> bytes:
        return hmac.new(self._mac, key.encode() + payload, hashlib.sha256).digest()[:_TAG]

    def _keystream(self, nonce: bytes, size: int) -> bytes:
        blocks = (size + _BLOCK - 1) // _BLOCK
        return b"".join(
            hmac.new(self._enc, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
            for i in range(blocks)
        )

    def _seal(self, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        stream = self._keystream(nonce, len(data))
        return nonce + bytes(a ^ b for a, b in zip(data, stream, strict=False))

    def _open(self, sealed: bytes) -> bytes:
        nonce, data = sealed[:_NONCE], sealed[_NONCE:]
        stream = self._keystream(nonce, len(data))
        return bytes(a ^ b for a, b in zip(data, stream, strict=False))
