"""Each cache operation as one Redis command (or one Lua script), built without I/O.

``RedisPlan`` turns ``get``/``claim``/``set``/``evict``/``evict_session`` into an
``Op``: the command to send, how to read the reply, and what to answer when Redis
cannot be asked. The sync and async shells in ``redis_cache.py`` only send ops, so
both speak to Redis identically.

Keys (``P`` = the configured prefix, ``K`` = the cache key, ``S`` = HMAC of a session id)::

    P e:K   the entry (PX = until stale_until, never past the session's expiresAt)
    P c:K   single-flight claim: one worker asks Okta for K (SET NX PX, refused while
            P e:K is fresh; dropped when the answer is stored or K is evicted)
    P s:S   set of the keys holding session S (PX = the longest of theirs)
    P x:S   session S just ended (logout/revoke): refuse to cache it again for a while
    P y:K   cookie K just logged out: refuse to cache a session for it for a while (a
            lookup already under way must not undo the logout, even for an ``idx``
            cookie whose session id was never seen)

Scripts touch keys named inside them, so this needs a standalone Redis (or a primary
behind a proxy), not Redis Cluster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from okta_session_mw.cache import CacheEntry
from okta_session_mw.redis_codec import RedisCodec

__all__ = ["CLAIM", "EVICT_KEY", "EVICT_SESSION", "SET_ENTRY", "LuaScript", "Op", "RedisPlan"]

T = TypeVar("T")
Arg = str | bytes | int


@dataclass(frozen=True, slots=True)
class LuaScript:
    """A script sent by SHA1 (EVALSHA), and in full once if Redis does not know it yet."""

    source: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        sha = hashlib.sha1(self.source.encode(), usedforsecurity=False).hexdigest()
        object.__setattr__(self, "sha", sha)


# KEYS: entry, claim   ARGV: claim px, now (epoch ms)
# No claim while the entry is fresh: a worker that missed it a moment ago (it was
# stored since) then waits for it, and finds it at once, instead of asking Okta again.
CLAIM = LuaScript("""
local value = redis.call('GET', KEYS[1])
local fresh = value and tonumber(string.sub(value, 18, 32))
if fresh and fresh > tonumber(ARGV[2]) then
  return 0
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  return 1
end
return 0
""")

# KEYS: entry, claim[, cookie ended, index, session ended]   ARGV: value, px[, cache key]
SET_ENTRY = LuaScript("""
redis.call('DEL', KEYS[2])
if #KEYS == 5 then
  if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('EXISTS', KEYS[5]) == 1 then
    redis.call('DEL', KEYS[1])
    return 0
  end
  redis.call('SADD', KEYS[4], ARGV[3])
  if redis.call('PTTL', KEYS[4]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[4], ARGV[2])
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
""")

# KEYS: entry, claim, cookie ended   ARGV: px of the "ended" mark
EVICT_KEY = LuaScript("""
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
return 1
""")

# KEYS: index, ended   ARGV: entry key prefix, claim key prefix, px of the "ended" mark
EVICT_SESSION = LuaScript("""
local keys = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(keys) do
  redis.call('DEL', ARGV[1] .. key, ARGV[2] .. key)
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return #keys
""")


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


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


class RedisPlan:
    """Builds the op for each cache method (no I/O; ``now`` comes from the caller)."""

    def __init__(self, codec: RedisCodec, *, ended_ttl: float) -> None:
        self.codec = codec
        self.ended_ttl = ended_ttl

    def get(self, key: str, on_bad_value: Callable[[Exception], None]) -> Op[CacheEntry | None]:
        codec = self.codec

        def read(raw: bytes | None) -> CacheEntry | None:
            if raw is None:
                return None
            try:
                return codec.decode(key, raw)
            except (ValueError, TypeError, KeyError) as exc:  # JSON, SessionParseError...
                on_bad_value(exc)
                return None

        return Op("get", ("GET", codec.entry_key(key)), read, None)

    def claim(self, key: str, ttl: float, now: float) -> Op[bool]:
        codec = self.codec
        args = (2, codec.entry_key(key), codec.claim_key(key), max(1, _ms(ttl)), _ms(now))
        return Op("claim", args, lambda reply: reply == 1, True, CLAIM)

    def set(self, key: str, entry: CacheEntry, now: float) -> Op[None]:
        codec = self.codec
        until = entry.stale_until
        if entry.session is not None:
            until = min(until, entry.session.expires_at.timestamp())
        px = _ms(until - now)
        if px < 1:  # already over: only release the claim
            return Op("set", ("DEL", codec.claim_key(key)), _ignore, None)
        keys: tuple[str, ...] = (codec.entry_key(key), codec.claim_key(key))
        argv: tuple[Arg, ...] = (codec.encode(key, entry), px)
        if entry.session is not None:
            sid = entry.session.id
            keys += (codec.ended_cookie_key(key), codec.index_key(sid), codec.ended_key(sid))
            argv += (key,)
        return Op("set", (len(keys), *keys, *argv), _ignore, None, SET_ENTRY)

    def evict(self, key: str) -> Op[None]:
        codec = self.codec
        keys = (codec.entry_key(key), codec.claim_key(key), codec.ended_cookie_key(key))
        args: tuple[Arg, ...] = (3, *keys, max(1, _ms(self.ended_ttl)))
        return Op("evict", args, _ignore, None, EVICT_KEY, must_reach=True)

    def evict_session(self, session_id: str) -> Op[None]:
        codec = self.codec
        args: tuple[Arg, ...] = (
            2,
            codec.index_key(session_id),
            codec.ended_key(session_id),
            codec.entry_prefix,
            codec.claim_prefix,
            max(1, _ms(self.ended_ttl)),
        )
        return Op("evict_session", args, _ignore, None, EVICT_SESSION, must_reach=True)
