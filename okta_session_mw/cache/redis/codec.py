"""How a cache entry is named and stored in Redis: key names and a sealed value.

Nothing secret is stored in the clear. Names are built from the cache key (already an
HMAC of the cookies) or from an HMAC of the session id. A value is the entry encrypted
and authenticated with AES-256-GCM (``cryptography``): for a ``sid`` cookie the session
id *is* the cookie, and the login is personal data, so whoever can read Redis learns
neither. Whoever can write Redis without the secret cannot make a value we accept:
a value edited, truncated, copied onto another key or written by someone else fails
its tag and is read as a miss.

Value layout (bytes)::

    version (1) = 2 | subject (64) | salt (16) | AES-256-GCM ciphertext of JSON | tag (16)

* subject: the session's name in Redis (``session_digest``, 64 hex digits), or 64 ``-``
  for a "no session" entry. It is the only part in the clear, and only so that the read
  script in ``ops.py`` can refuse the value of a session that ended without a
  second round trip (the same digest already names that session's keys).
* salt: 16 random bytes. HKDF-SHA256(secret_key, salt, info=_VALUE_INFO) gives this
  value's own 32-byte key and 12-byte nonce, so no key ever encrypts twice and the
  96-bit random-nonce limit of one GCM key (2^32 messages) does not apply.
* the tag covers the JSON and, as associated data, the Redis key name and the header
  (version, subject, salt): a value moved to another key, or whose subject was edited
  to dodge the "ended" check, fails.
* JSON: ``[fetched_at, fresh_until, stale_until, refreshed_for, refresh_after, asked,
  okta_json]``; ``okta_json`` is null for a negative entry. ``asked`` (an entry of a
  user's session only) is the earliest Redis time its Okta question can have been
  asked (``redis/clock.py``), as whole milliseconds from ``fetched_at`` (rounded down:
  a few bytes): ``fetched_at`` is by its writer's clock, which a reader must not take
  for its own. A value without it (nothing measured, or an earlier release's) counts as
  asked long ago.

No Redis script trusts anything else in a value: freshness, for the claim, lives in
the claim key's own expiry (``ops.py``). The session-id names use an HMAC key
derived by HKDF under their own ``info``, and so do the user-id names (under
another ``info``: a user id and a session id never share a name); cookie cache keys stay the HMAC of
``cache.protocol.cookie_hasher`` (behaviour 3). Values of another version (the version 1 format of
earlier releases included) are refused like any other value that fails its tag.

``MAX_VALUE_BYTES`` bounds what is read or written: a session Okta sends is 1-2 KB of
JSON (about 1.5 KB in the tests), so 16 KiB leaves room for ten times that in fields
Okta may add, while a poisoned value costs a reader at most 16 KiB of transfer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import threading
from collections.abc import Sequence
from typing import Any

from cachetools import LRUCache
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.redis.clock import LONG_AGO
from okta_session_mw.okta.session import Session
from okta_session_mw.redis_topology import tagged_prefix

__all__ = ["MAX_VALUE_BYTES", "BadValueError", "RedisCodec", "secrets_of"]

MAX_VALUE_BYTES = 16 * 1024
VERSION = 2
SUBJECT_SIZE = 64
NO_SUBJECT = b"-" * SUBJECT_SIZE
_SALT = 16
_HEAD = 1 + SUBJECT_SIZE + _SALT
_TAG = 16
_VALUE_INFO = b"okta-session-mw/redis/value: AES-256-GCM key and nonce"
_NAMES_INFO = b"okta-session-mw/redis/names: HMAC-SHA256 key of session ids"
_USER_NAMES_INFO = b"okta-session-mw/redis/names: HMAC-SHA256 key of user ids"
_HEX = frozenset("0123456789abcdef")


def _micros(at: float) -> int:
    """Epoch seconds as whole microseconds, rounded down (the same for writer and reader:
    a float survives JSON exactly)."""
    return math.floor(at * 1_000_000)


class BadValueError(ValueError):
    """A value this app did not write (or no longer reads). The message is a fixed phrase
    saying why, never any of the value's bytes, so it can be logged."""


def secrets_of(secret_key: bytes | str | Sequence[bytes | str]) -> tuple[bytes, ...]:
    """A ``secret_key`` as given (one key, or a rotation's list, the current key first)
    as bytes."""
    keys = [secret_key] if isinstance(secret_key, (bytes, str)) else list(secret_key)
    return tuple(key.encode() if isinstance(key, str) else key for key in keys)


def _hkdf(secret: bytes, length: int, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=length, salt=salt, info=info).derive(secret)


def _namers(secret: bytes) -> tuple[hmac.HMAC, hmac.HMAC]:
    """The keyed HMACs that name session ids and user ids under one ``secret_key``."""
    sessions = _hkdf(secret, 32, None, _NAMES_INFO)
    users = _hkdf(secret, 32, None, _USER_NAMES_INFO)
    return hmac.new(sessions, digestmod=hashlib.sha256), hmac.new(users, digestmod=hashlib.sha256)


def _digest(names: hmac.HMAC, value: str) -> str:
    digest = names.copy()
    digest.update(value.encode())
    return digest.hexdigest()


class RedisCodec:
    """Key names under ``prefix`` and the value format (see the module docstring).

    ``prefix`` is made one Redis Cluster hash tag (``okta-session-mw:`` becomes
    ``{okta-session-mw:}``; one holding a tag already is kept, ``redis_topology.py``), so
    every key built from ``self.prefix`` is in one slot: the scripts of ``ops.py`` touch
    many keys, some named inside the script, and must run on one node."""

    def __init__(
        self, secret: bytes | tuple[bytes, ...], prefix: str, *, maxsize: int = 10_000
    ) -> None:
        self._decoded: LRUCache[str, tuple[bytes, CacheEntry, int]] = LRUCache(maxsize)
        self._lock = threading.Lock()
        secrets = secrets_of(secret)
        self._secrets, self._secret = secrets, secrets[0]
        # per secret_key (a rotation's older ones after the current): the HMACs naming
        # session ids and user ids; only the current one names what this worker stores
        self._all_names = [_namers(each) for each in secrets]
        self._names, self._user_names = self._all_names[0]
        try:
            self.prefix = tagged_prefix(prefix)
        except ValueError as exc:
            raise ValueError(f"the Redis key prefix {exc}") from None
        self.entry_prefix = self.prefix + "e:"
        self.claim_prefix = self.prefix + "c:"
        self.ended_prefix = self.prefix + "x:"

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
        """A session's name in Redis: HMAC-SHA256 of its id, 64 hex digits."""
        return _digest(self._names, session_id)

    def index_key(self, session_id: str) -> str:
        """The set of cache keys holding this session (for logout and admin revoke)."""
        return self.prefix + "s:" + self.session_digest(session_id)

    def ended_key(self, session_id: str) -> str:
        """Marks a session just logged out or revoked: not cached again, not read."""
        return self.ended_prefix + self.session_digest(session_id)

    def session_end_keys(self, session_id: str) -> tuple[str, ...]:
        """``index_key`` and ``ended_key`` of a session under every ``secret_key``, in
        pairs: an end reaches the entries that workers still on an older key store."""
        keys: list[str] = []
        for names, _ in self._all_names:
            digest = _digest(names, session_id)
            keys += (self.prefix + "s:" + digest, self.ended_prefix + digest)
        return tuple(keys)

    def user_end_keys(self, user_id: str) -> tuple[str, ...]:
        """``user_index_key`` and ``user_ended_key`` under every ``secret_key``, in pairs."""
        keys: list[str] = []
        for _, user_names in self._all_names:
            digest = _digest(user_names, user_id)
            keys += (self.prefix + "u:" + digest, self.prefix + "v:" + digest)
        return tuple(keys)

    def user_digest(self, user_id: str) -> str:
        """A user's name in Redis: HMAC-SHA256 of the Okta user id, 64 hex digits (a
        user id is personal data: never stored in the clear, not even in a name)."""
        return _digest(self._user_names, user_id)

    def user_index_key(self, user_id: str) -> str:
        """The set of cache keys holding a session of this user (for an end by user)."""
        return self.prefix + "u:" + self.user_digest(user_id)

    def user_ended_key(self, user_id: str) -> str:
        """When this user's sessions were last ended (microseconds since the epoch):
        answers asked of Okta by then are not cached, nor served."""
        return self.prefix + "v:" + self.user_digest(user_id)

    def ended_cookie_key(self, key: str) -> str:
        """Marks a cookie just logged out (its session id may be unknown: ``idx``)."""
        return self.prefix + "y:" + self.entry_key(key)[len(self.entry_prefix) :]

    # -- values -----------------------------------------------------------------------
    def encode(self, key: str, entry: CacheEntry, asked: int | None = None) -> bytes:
        """The sealed value; ``BadValueError`` when it would exceed ``MAX_VALUE_BYTES``.
        ``asked``: the earliest Redis time of the entry's question (see above)."""
        session = entry.session
        okta = session.to_okta() if session is not None else None
        fields: list[Any] = [entry.fetched_at, entry.fresh_until, entry.stale_until]
        fields += [entry.refreshed_for, entry.refresh_after]
        if asked is not None and asked > LONG_AGO and math.isfinite(entry.fetched_at):
            fields.append((asked - _micros(entry.fetched_at)) // 1000)
        text = json.dumps([*fields, okta], separators=(",", ":"))
        subject = NO_SUBJECT if session is None else self.session_digest(session.id).encode()
        head = bytes([VERSION]) + subject + os.urandom(_SALT)
        if len(head) + len(text) + _TAG > MAX_VALUE_BYTES:
            raise BadValueError(f"session larger than {MAX_VALUE_BYTES} bytes once sealed")
        return head + self._cipher(head, key, text.encode(), seal=True)

    def decode(self, key: str, raw: bytes) -> CacheEntry:
        """The entry stored under ``key``; ``ValueError`` when it is not one we wrote.

        The same bytes under the same key decode to the same entry, so the last
        decoding per key is remembered (an answer changes once per cache TTL, and
        parsing Okta's JSON costs more than the Redis round trip). Only the parsing is
        saved: Redis is still asked every time, so evictions take effect at once.
        """
        return self.decode_asked(key, raw)[0]

    def decode_asked(self, key: str, raw: bytes) -> tuple[CacheEntry, int]:
        """``decode``'s entry, and the earliest Redis time its question can have been
        asked (``LONG_AGO`` when the value does not say)."""
        with self._lock:
            known = self._decoded.get(key)
        if known is not None and known[0] == raw:
            return known[1], known[2]
        entry, asked = self._decode(key, raw)
        with self._lock:
            self._decoded[key] = (raw, entry, asked)
        return entry, asked

    def known_asked(self, key: str, fetched_at: float) -> int | None:
        """The earliest Redis time of the question of the entry last read under ``key``,
        if ``fetched_at`` is that entry's (None: not an entry read from Redis lately)."""
        with self._lock:
            known = self._decoded.get(key)
        if known is None or known[1].fetched_at != fetched_at:
            return None
        return known[2]

    def _decode(self, key: str, raw: bytes) -> tuple[CacheEntry, int]:
        if len(raw) > MAX_VALUE_BYTES:
            raise BadValueError(f"value larger than {MAX_VALUE_BYTES} bytes")
        if len(raw) < _HEAD + _TAG or raw[0] != VERSION:
            raise BadValueError("value of an unknown format or version")
        head = raw[:_HEAD]
        text, sealer = self._opened(head, key, raw[_HEAD:])
        *times, okta = json.loads(text)  # values written before refresh_after have 4 times
        if len(times) not in (4, 5, 6):
            raise BadValueError("value of an unknown format or version")
        asked = LONG_AGO
        if len(times) == 6:
            since = times.pop()
            fetched_at = times[0]
            known = isinstance(since, int) and isinstance(fetched_at, int | float)
            if not known or not math.isfinite(fetched_at):
                raise BadValueError("value of an unknown format or version")
            asked = _micros(fetched_at) + since * 1000
        session = Session.from_okta(okta) if okta is not None else None
        names = self._all_names[sealer][0]  # the sealer's key names the session too
        subject = NO_SUBJECT if session is None else _digest(names, session.id).encode()
        if head[1 : 1 + SUBJECT_SIZE] != subject:  # only a writer with the secret gets here
            raise BadValueError("value names another session than it holds")
        return CacheEntry(session, *times), asked

    def _opened(self, head: bytes, key: str, data: bytes) -> tuple[bytes, int]:
        """The value's JSON, and which ``secret_key`` sealed it: the current one, else (a
        rotation) an older one, for the values that workers still on it store."""
        for index, secret in enumerate(self._secrets):
            try:
                return self._cipher(head, key, data, seal=False, secret=secret), index
            except InvalidTag:
                continue
        raise BadValueError("value failed its authentication")

    def _cipher(
        self, head: bytes, key: str, data: bytes, *, seal: bool, secret: bytes | None = None
    ) -> bytes:
        """AES-256-GCM under this value's own key and nonce (derived from its salt)."""
        material = _hkdf(secret or self._secret, 32 + 12, head[-_SALT:], _VALUE_INFO)
        aead, nonce = AESGCM(material[:32]), material[32:]
        bound = self.entry_key(key).encode() + head
        return aead.encrypt(nonce, data, bound) if seal else aead.decrypt(nonce, data, bound)
