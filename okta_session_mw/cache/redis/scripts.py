"""The Lua scripts of the Redis cache: each operation that must read and write at once
is one script, so it is atomic and one round trip (``ops.py`` builds the calls).

A script is sent by SHA1 (``EVALSHA``) and in full once if Redis does not know it yet
(``connections.py``). What a script may trust, and the keys each one touches: the
docstring of ``ops.py``.

Times in the scripts are Redis's own clock (``TIME``), never a worker's: the end of a
user is stamped with it, the user index is scored with it, and the scripts that
compare an answer with an end reply with it, so each worker can state when it asked
Okta in Redis's time (``redis/clock.py``). (Redis 5 and later allow writes after
``TIME``: scripts are replicated by their effects.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from okta_session_mw.cache.redis.codec import NO_SUBJECT, SUBJECT_SIZE, VERSION

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
]


@dataclass(frozen=True, slots=True)
class LuaScript:
    """A script sent by SHA1 (EVALSHA), and in full once if Redis does not know it yet."""

    source: str
    sha: str = field(init=False)

    def __post_init__(self) -> None:
        sha = hashlib.sha1(self.source.encode(), usedforsecurity=False).hexdigest()
        object.__setattr__(self, "sha", sha)


# KEYS: entry, cookie ended   ARGV: session-ended prefix, max bytes
# Reply: the value; nil when absent or its session/cookie ended; -1 when refused unread.
GET_ENTRY = LuaScript(f"""
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then
  return false
end
if kind ~= 'string' or redis.call('STRLEN', KEYS[1]) > tonumber(ARGV[2]) then
  return -1
end
local value = redis.call('GET', KEYS[1])
local subject = string.sub(value, 2, {1 + SUBJECT_SIZE})
if string.byte(value, 1) == {VERSION} and subject ~= '{NO_SUBJECT.decode()}' then
  if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', ARGV[1] .. subject) == 1 then
    return false
  end
end
return value
""")

# KEYS: claim   ARGV: claim px, take over (1: the caller could not use the answer)
# Reply: {'yours', 'asking' or 'answered' (any other value counts as 'asking'), Redis's
# clock (microseconds): the worker asks Okta after it, so it knows the time it asked}.
CLAIM = LuaScript("""
local t = redis.call('TIME')
local clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
local kind = redis.call('TYPE', KEYS[1])['ok']
local left = redis.call('PTTL', KEYS[1])
if kind ~= 'string' or left == -1 or left > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
elseif redis.call('GET', KEYS[1]) == 'answered' then
  if ARGV[2] ~= '1' then
    return {'answered', clock}
  end
  redis.call('DEL', KEYS[1])
end
if redis.call('SET', KEYS[1], 'asking', 'NX', 'PX', ARGV[1]) then
  return {'yours', clock}
end
return {'asking', clock}
""")

# KEYS: claim
# A claim still "asking" goes (its holder's Okta call failed: the next caller asks at
# once); "answered", or any other value, is left as it is. Reply: 1 if it went, else 0.
RELEASE = LuaScript("""
if redis.call('TYPE', KEYS[1])['ok'] == 'string' and redis.call('GET', KEYS[1]) == 'asking' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
""")

# KEYS: entry, claim[, cookie ended, index, session ended[, user index, user ended]]
# ARGV: value, px, fresh px[, cache key[, asked]]   (asked: Redis microseconds, the
#       earliest the answer's question can have been asked: redis/clock.py)
# Reply: 1, 0 when refused; with the user's keys, Redis's clock (microseconds) instead.
# The user index is a sorted set scored by each entry's end (Redis ms): members that
# ended are dropped as another joins, so it holds no more than the user's live entries.
SET_ENTRY = LuaScript("""
local function index(set, member, px)
  local kind = redis.call('TYPE', set)['ok']
  if kind ~= 'set' and kind ~= 'none' then
    redis.call('DEL', set)
  end
  redis.call('SADD', set, member)
  if redis.call('PTTL', set) < px then
    redis.call('PEXPIRE', set, px)
  end
end
local clock = 1
if #KEYS == 7 then
  local t = redis.call('TIME')
  clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
if #KEYS >= 5 then
  local refused = redis.call('EXISTS', KEYS[3]) == 1 or redis.call('EXISTS', KEYS[5]) == 1
  if #KEYS == 7 and not refused and redis.call('TYPE', KEYS[7])['ok'] == 'string' then
    local ended = tonumber(redis.call('GET', KEYS[7]))
    refused = ended == nil or tonumber(ARGV[5]) <= ended
  end
  if refused then
    redis.call('DEL', KEYS[1], KEYS[2])
    return #KEYS == 7 and clock or 0
  end
  index(KEYS[4], ARGV[4], tonumber(ARGV[2]))
  if #KEYS == 7 then
    local kind = redis.call('TYPE', KEYS[6])['ok']
    if kind ~= 'zset' and kind ~= 'none' then
      redis.call('DEL', KEYS[6])
    end
    local now = math.floor(clock / 1000)
    redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. string.format('%.0f', now))
    redis.call('ZADD', KEYS[6], now + tonumber(ARGV[2]), ARGV[4])
    if redis.call('PTTL', KEYS[6]) < tonumber(ARGV[2]) then
      redis.call('PEXPIRE', KEYS[6], ARGV[2])
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local left = redis.call('PTTL', KEYS[2])
if left == -2 then
  return clock
end
local fresh = tonumber(ARGV[3])
if left == -1 or left > fresh then
  left = fresh
end
if left < 1 then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], 'answered', 'PX', left)
end
return clock
""")

# KEYS: entry, claim, cookie ended   ARGV: px of the "ended" mark
# The "ended" mark outlives the entry it evicts: while that could be served stale.
EVICT_KEY = LuaScript("""
local px = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left > px then
  px = left
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], '1', 'PX', px)
return 1
""")

# KEYS: index, ended[, index, ended...] (one pair per secret_key: a rotation's names)
# ARGV: entry key prefix, claim key prefix, px of the "ended" mark
EVICT_SESSION = LuaScript("""
local evicted = 0
for pair = 1, #KEYS, 2 do
  local keys = {}
  if redis.call('TYPE', KEYS[pair])['ok'] == 'set' then
    keys = redis.call('SMEMBERS', KEYS[pair])
  end
  local px = tonumber(ARGV[3])
  for _, key in ipairs(keys) do
    local left = redis.call('PTTL', ARGV[1] .. key)
    if left > px then
      px = left
    end
    redis.call('DEL', ARGV[1] .. key, ARGV[2] .. key)
  end
  redis.call('DEL', KEYS[pair])
  redis.call('SET', KEYS[pair + 1], '1', 'PX', px)
  evicted = evicted + #keys
end
return evicted
""")

# KEYS: user index, user ended[, user index, user ended...] (one pair per secret_key)
# ARGV: entry key prefix, claim key prefix, px of the mark
# Reply: Redis's clock (microseconds). The mark is the time the end reached Redis, by
# Redis's clock (an end owed during an outage counts from when it arrives: later, so
# it refuses more, never less); it keeps the latest end, for at least px; the user's
# entries go now.
EVICT_USER = LuaScript("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for pair = 1, #KEYS, 2 do
  local index, mark = KEYS[pair], KEYS[pair + 1]
  local keys = {}
  if redis.call('TYPE', index)['ok'] == 'zset' then
    keys = redis.call('ZRANGE', index, 0, -1)
  end
  for _, key in ipairs(keys) do
    redis.call('DEL', ARGV[1] .. key, ARGV[2] .. key)
  end
  redis.call('DEL', index)
  local at = now
  local px = tonumber(ARGV[3])
  if redis.call('TYPE', mark)['ok'] == 'string' then
    local before = tonumber(redis.call('GET', mark))
    if before ~= nil and before > at then
      at = before
    end
    local left = redis.call('PTTL', mark)
    if left > px then
      px = left
    end
  end
  redis.call('SET', mark, string.format('%.0f', at), 'PX', px)
end
return now
""")

# KEYS: cookie ended, session ended[, user ended]
# ARGV: asked (Redis microseconds: the earliest it can have been)
# Reply: 1 when the cookie or session ended, or the user ended since the answer was
# asked, else 0; with the user's mark, {that, Redis's clock (microseconds)}.
ENDED = LuaScript("""
local ended = 0
if redis.call('EXISTS', KEYS[1], KEYS[2]) > 0 then
  ended = 1
elseif #KEYS == 3 and redis.call('TYPE', KEYS[3])['ok'] == 'string' then
  local mark = tonumber(redis.call('GET', KEYS[3]))
  if mark == nil or tonumber(ARGV[1]) <= mark then
    ended = 1
  end
end
if #KEYS < 3 then
  return ended
end
local t = redis.call('TIME')
return {ended, tonumber(t[1]) * 1000000 + tonumber(t[2])}
""")
