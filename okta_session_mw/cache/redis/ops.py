"""Each cache operation as one Redis command (or one Lua script), built without I/O.

``RedisPlan`` turns ``get``/``claim``/``release``/``set``/``evict``/``evict_session``/
``evict_user``/``ended`` into an ``Op``: the command to send, how to read the reply,
and what to answer when Redis cannot be asked. The sync and async shells in
``redis/cache.py`` only send ops, so both speak to Redis identically.

Keys (``P`` = the configured prefix as one Redis Cluster hash tag, ``{okta-session-mw:}``
by default: ``codec.py``; ``K`` = the cache key, ``S`` = HMAC of a session id)::

    P e:K   the entry (PX = until stale_until, never past the session's expiresAt)
    P c:K   single-flight claim, its value its state: "asking" while one worker asks
            Okta for K (SET NX PX); storing the answer turns it into "answered" until
            the entry's freshness (so a worker that missed the entry a moment ago reads
            it instead of asking Okta again, and one that cannot use it, gone or
            unreadable, takes the claim over at once instead of waiting); not storing
            it, or evicting K, drops it; so does ``release`` (the worker's Okta call
            failed) while it is still "asking"
    P s:S   set of the keys holding session S (PX = the longest of theirs)
    P x:S   session S ended (logout/revoke): not cached again, and not read, for a while
    P y:K   cookie K logged out: no session cached or read for it for a while (a
            lookup already under way must not undo the logout, even for an ``idx``
            cookie whose session id was never seen)
    P u:U   sorted set of the keys holding a session of user U (HMAC of the Okta user
            id), each scored by when its entry ends: members that ended are dropped
            as others join, and the set's PX is the longest of theirs, so it holds no
            more than the user's live entries
    P v:U   user U's sessions ended at this time, by Redis's clock (microseconds
            since the epoch, ``TIME``): an entry of U whose question may have been
            asked by then is not stored, such an answer is "ended"; a later sign-in
            is stored as usual. When a question was asked is stated in Redis's time
            by the worker that asked (the earliest it can have been:
            ``redis/clock.py``), so no two machines' clocks are ever compared

What a script may trust. A value is authenticated in Python only (``codec.py``),
so no script decides anything from a value's bytes that could make a worker serve it or
wait: the claim script never reads the entry (freshness is the claim key's expiry; it
only reports the claim's state, and the engine's ``follow.py`` decides), and a claim left without
expiry, longer than the caller's, or not a string, is taken over. The read
script uses a value's clear subject only to *refuse* it (the session ended); editing
the subject breaks the value's tag, so it is refused either way. Values over
``MAX_VALUE_BYTES``, and keys of another type, are refused unread and reported.

Scripts touch keys named inside them (the entries of a session's or user's cookies, from
a set's members), which Redis Cluster allows only within the slot of the keys a script
declares: every key shares ``P``'s hash tag, so all are in one slot, and every script
declares at least one key, by which the cluster client routes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.cache.redis.clock import LONG_AGO, AskedTimes
from okta_session_mw.cache.redis.codec import MAX_VALUE_BYTES, BadValueError, RedisCodec
from okta_session_mw.cache.redis.scripts import (
    CLAIM,
    ENDED,
    EVICT_KEY,
    EVICT_SESSION,
    EVICT_USER,
    GET_ENTRY,
    RELEASE,
    SET_ENTRY,
    LuaScript,
)

__all__ = [
    "CLAIM",
    "ENDED",
    "EVICT_KEY",
    "EVICT_SESSION",
    "EVICT_USER",
    "GET_ENTRY",
    "RELEASE",
    "SET_ENTRY",
    "LuaScript",
    "Op",
    "RedisPlan",
]

T = TypeVar("T")
Arg = str | bytes | int


@dataclass(frozen=True, slots=True, eq=False)
class Op(Generic[T]):
    """One round trip: ``args`` (after EVALSHA/EVAL when ``script`` is set), the reader
    of the reply, the answer when Redis is unreachable, and whether it must reach Redis
    later (evictions are replayed when Redis returns)."""

    name: str
    args: tuple[Arg, ...]
    read: Callable[[Any], T]
    fallback: T
    script: LuaScript | None = None
    must_reach: bool = False


def _ignore(_reply: Any) -> None:
    return None


def _clock(reply: Any) -> int:
    """Redis's clock (microseconds) in a script's integer reply."""
    return int(reply)


def _ended_and_clock(reply: Any) -> tuple[bool, int | None]:
    """The ended script's reply: a flag, or ``[flag, Redis's clock]``."""
    if isinstance(reply, list | tuple):
        return int(reply[0]) > 0, int(reply[1])
    return int(reply) > 0, None


def _claimed(reply: Any) -> tuple[Claimed, int | None]:
    """The claim script's reply, ``[state, Redis's clock]`` (the state bytes, or str
    with ``decode_responses``)."""
    state, clock = reply if isinstance(reply, list | tuple) else (reply, None)
    state = state.decode() if isinstance(state, bytes) else state
    claimed = Claimed.ASKING if state not in ("yours", "answered") else Claimed(state)
    return claimed, None if clock is None else int(clock)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


class RedisPlan:
    """Builds the op for each cache method (no I/O; ``now`` comes from the caller).

    ``report`` hears of every value refused, read or about to be written (its
    exception's message never holds the value's bytes). ``asked`` states when an
    answer's question was asked in Redis's time (``clock.py``): the cache notes there
    the clock Redis replies with.
    """

    def __init__(
        self, codec: RedisCodec, *, ended_ttl: float, report: Callable[[Exception], None]
    ) -> None:
        self.codec = codec
        self.ended_ttl = ended_ttl
        self.asked = AskedTimes(codec.known_asked)
        self._report = report

    def get(self, key: str) -> Op[tuple[CacheEntry, int] | None]:
        """The entry, with the earliest Redis time its question can have been asked."""
        codec, report = self.codec, self._report

        def read(raw: bytes | int | None) -> tuple[CacheEntry, int] | None:
            if raw is None:
                return None
            if isinstance(raw, int):
                report(BadValueError(f"value larger than {MAX_VALUE_BYTES} bytes or not a string"))
                return None
            try:
                return codec.decode_asked(key, raw)
            except (ValueError, TypeError, KeyError) as exc:  # JSON, SessionParseError...
                report(exc)
                return None

        keys = (codec.entry_key(key), codec.ended_cookie_key(key))
        args: tuple[Arg, ...] = (2, *keys, codec.ended_prefix, MAX_VALUE_BYTES)
        return Op("get", args, read, None, GET_ENTRY)

    def claim(
        self, key: str, ttl: float, take_over: bool = False
    ) -> Op[tuple[Claimed, int | None]]:
        """Who asks Okta for ``key`` (``Claimed``; YOURS without Redis: ask), and
        Redis's clock."""
        args = (1, self.codec.claim_key(key), max(1, _ms(ttl)), int(take_over))
        return Op("claim", args, _claimed, (Claimed.YOURS, None), CLAIM)

    def release(self, key: str) -> Op[None]:
        """Drop ``key``'s claim if it is still "asking" (nothing to do without Redis)."""
        return Op("release", (1, self.codec.claim_key(key)), _ignore, None, RELEASE)

    def set(self, key: str, entry: CacheEntry, now: float) -> Op[int | None]:
        """Store ``entry`` (``now``: the caller's clock, for its time to live only).
        The reply: Redis's clock when the entry is a user's session, else None."""
        codec = self.codec
        asked = self.asked.of(key, entry.fetched_at) if entry.session is not None else LONG_AGO
        until = entry.stale_until
        if entry.session is not None:
            until = min(until, entry.session.expires_at.timestamp())
        px = _ms(until - now)
        value = b""
        if px >= 1:
            try:
                value = codec.encode(key, entry, asked if entry.session is not None else None)
            except BadValueError as exc:
                self._report(exc)
        if not value:  # already over, or too large to share: only release the claim
            return Op("set", ("DEL", codec.claim_key(key)), _ignore, None)
        keys: tuple[str, ...] = (codec.entry_key(key), codec.claim_key(key))
        argv: tuple[Arg, ...] = (value, px, _ms(entry.fresh_until - now))
        read: Callable[[Any], int | None] = _ignore
        if entry.session is not None:
            sid, uid = entry.session.id, entry.session.user_id
            keys += (codec.ended_cookie_key(key), codec.index_key(sid), codec.ended_key(sid))
            argv += (key,)
            if uid:
                keys += (codec.user_index_key(uid), codec.user_ended_key(uid))
                argv += (asked,)
                read = _clock
        return Op("set", (len(keys), *keys, *argv), read, None, SET_ENTRY)

    def ended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> Op[tuple[bool, int | None]]:
        """Whether the cookie or the session has an "ended" mark, or the user one made
        since ``asked_at`` (by the caller's clock, stated in Redis's), and Redis's clock
        when the user was named (False without Redis: the caller's own marks answer)."""
        codec = self.codec
        asked = self.asked.of(key, asked_at) if user_id else LONG_AGO
        keys: tuple[str, ...] = (codec.ended_cookie_key(key), codec.ended_key(session_id))
        if user_id:
            keys += (codec.user_ended_key(user_id),)
        args: tuple[Arg, ...] = (len(keys), *keys, asked)
        return Op("ended", args, _ended_and_clock, (False, None), ENDED)

    def evict(self, key: str) -> Op[None]:
        codec = self.codec
        keys = (codec.entry_key(key), codec.claim_key(key), codec.ended_cookie_key(key))
        args: tuple[Arg, ...] = (3, *keys, max(1, _ms(self.ended_ttl)))
        return Op("evict", args, _ignore, None, EVICT_KEY, must_reach=True)

    def evict_session(self, session_id: str) -> Op[None]:
        codec = self.codec
        keys = codec.session_end_keys(session_id)  # under every secret_key
        args: tuple[Arg, ...] = (
            len(keys),
            *keys,
            codec.entry_prefix,
            codec.claim_prefix,
            max(1, _ms(self.ended_ttl)),
        )
        return Op("evict_session", args, _ignore, None, EVICT_SESSION, must_reach=True)

    def evict_user(self, user_id: str) -> Op[int | None]:
        """Drop the user's entries and mark the end, by Redis's clock (the reply)."""
        codec = self.codec
        keys = codec.user_end_keys(user_id)  # under every secret_key
        args: tuple[Arg, ...] = (
            len(keys),
            *keys,
            codec.entry_prefix,
            codec.claim_prefix,
            max(1, _ms(self.ended_ttl)),
        )
        return Op("evict_user", args, _clock, None, EVICT_USER, must_reach=True)
