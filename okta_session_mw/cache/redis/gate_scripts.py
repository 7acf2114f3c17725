"""The Lua scripts of the shared rate-limit gate (``gate_ops.py`` builds the calls).

They decide nothing: the engine computed every number they compare (the floor a
spender must leave, the limit it was computed from, how many call slots a spender
may hold) and the scripts only compare and count down atomically, so the decisions
stay written once, in Python (``engine/rate_buckets.py``). Pauses and windows are
key expiries (PX) and leases are scored with Redis's own ``TIME``: no worker's clock
is ever compared with another's.

Keys (``P`` = the cache's prefix, ``B`` = a bucket's name, e.g.
``GET /api/v1/sessions/me``, or an API family's, ``/api/v1/sessions``)::

    P g:f:B   hash of the window's figures (limit, remaining, reset, estimated),
              PX = until the window turns (Okta's Reset - Date + 1, as measured
              by the worker that saw the answer)
    P g:x:B   a 429 closed bucket B: no call from any worker while it exists
              (PX = the pause)
    P g:slots sorted set of the leases of calls in flight, each scored by when it
              expires (Redis's clock, milliseconds)
"""

from __future__ import annotations

from okta_session_mw.cache.redis.scripts import LuaScript

__all__ = ["GATE_NOTE", "GATE_SLOT", "GATE_TAKE"]

# KEYS: closed, bucket figures, family figures
# ARGV: count (1/0), then for the bucket and for the family seven numbers each:
#       limit used, floor (-1: not checked), seed ms (0: no seed), seed limit,
#       seed remaining, seed reset, seed estimated (1/0)
# Reply: {verdict ('ok', 'closed', 'limit' or 'refused'), closed ms, then for the bucket
#        and the family six numbers each: present (1/0), limit, remaining, reset,
#        estimated, ms left}
GATE_TAKE = LuaScript("""
local closed = redis.call('PTTL', KEYS[1])
local function seeded(key, base)
  if redis.call('EXISTS', key) == 0 and tonumber(ARGV[base + 3]) > 0 then
    redis.call('HSET', key, 'limit', ARGV[base + 4], 'remaining', ARGV[base + 5],
               'reset', ARGV[base + 6], 'estimated', ARGV[base + 7])
    redis.call('PEXPIRE', key, ARGV[base + 3])
  end
  local f = redis.call('HMGET', key, 'limit', 'remaining', 'reset', 'estimated')
  if not f[1] or not f[2] or not f[3] then
    return nil
  end
  return {tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4] or '0'),
          redis.call('PTTL', key)}
end
local function verdict(fig, base)
  local floor = tonumber(ARGV[base + 2])
  if not fig or floor < 0 then
    return 'ok'
  end
  if fig[1] ~= tonumber(ARGV[base + 1]) then
    return 'limit'
  end
  if fig[2] <= floor then
    return 'refused'
  end
  return 'ok'
end
local bucket = seeded(KEYS[2], 1)
local family = seeded(KEYS[3], 8)
local answer = 'ok'
if closed > 0 then
  answer = 'closed'
else
  local b, f = verdict(bucket, 1), verdict(family, 8)
  if b == 'limit' or f == 'limit' then
    answer = 'limit'
  elseif b == 'refused' or f == 'refused' then
    answer = 'refused'
  end
end
if answer == 'ok' and ARGV[1] == '1' then
  if bucket then
    bucket[2] = redis.call('HINCRBY', KEYS[2], 'remaining', -1)
  end
  if family then
    family[2] = redis.call('HINCRBY', KEYS[3], 'remaining', -1)
  end
end
local reply = {answer, math.max(closed, 0)}
for _, fig in ipairs({bucket or false, family or false}) do
  if fig then
    table.insert(reply, 1)
    for i = 1, 5 do table.insert(reply, fig[i]) end
  else
    for i = 1, 6 do table.insert(reply, 0) end
  end
end
return reply
""")

# KEYS: bucket figures, family figures, closed, slots
# ARGV: has figures (1/0), limit, remaining, reset, window ms, close ms, lease ('': none)
# An answer's figures replace a window of an earlier Reset; in the window being counted
# the lower remaining stands (calls admitted after the answer was sent still count);
# an answer of an earlier window, or of one that turned meanwhile, changes nothing.
GATE_NOTE = LuaScript("""
if ARGV[1] == '1' then
  local reset = tonumber(ARGV[4])
  for i = 1, 2 do
    local old = redis.call('HMGET', KEYS[i], 'reset', 'estimated', 'remaining')
    if not old[1] or reset > tonumber(old[1]) then
      redis.call('HSET', KEYS[i], 'limit', ARGV[2], 'remaining', ARGV[3], 'reset', ARGV[4],
                 'estimated', 0)
      redis.call('PEXPIRE', KEYS[i], ARGV[5])
    elseif reset == tonumber(old[1]) and old[2] ~= '1' then
      local lower = math.min(tonumber(old[3] or ARGV[3]), tonumber(ARGV[3]))
      redis.call('HSET', KEYS[i], 'limit', ARGV[2], 'remaining', lower)
    end
  end
end
local pause = tonumber(ARGV[6])
if pause > 0 and redis.call('PTTL', KEYS[3]) < pause then
  redis.call('SET', KEYS[3], '1', 'PX', pause)
end
if ARGV[7] ~= '' then
  redis.call('ZREM', KEYS[4], ARGV[7])
end
return 1
""")

# KEYS: slots   ARGV: lease, most leases (the engine's figure), lease ms
# Reply: 1 when the lease was taken, 0 when every slot is held.
GATE_SLOT = LuaScript("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
local ms = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ms, ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('PEXPIRE', KEYS[1], ms)
end
return 1
""")
