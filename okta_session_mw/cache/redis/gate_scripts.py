"""The Lua scripts of the shared rate-limit gate (``gate_ops.py`` builds the calls).

They decide nothing: the engine computed every number they compare (the floor a
spender must leave, the limit it was computed from, how many call slots a spender
may hold) and the scripts only compare and count down atomically, so the decisions
stay written once, in Python (``engine/rate_buckets.py``). Pauses and windows are
key expiries (PX) and leases are scored with Redis's own ``TIME``: no worker's clock
is ever compared with another's.

What a script may trust: nothing it reads. Another writer of the same Redis may have
left any value under a gate key, so a key of another type is replaced, a window whose
figures are not integers, whose remaining exceeds its limit, or which lives longer than
any honest worker shares (``LONGEST_MS``, passed as the last argument) is dropped (and
seeded afresh), and so is a pause that long; a lease scored further ahead than the
longest lease is dropped. A poisoned key then costs at most one honest window.

Keys (``P`` = the cache's prefix, ``O`` = the Okta org's digest, ``B`` = a bucket's
name, e.g. ``GET /api/v1/sessions/me``, or an API family's, ``/api/v1/sessions``)::

    P g:O:f:B  hash of the window's figures (limit, remaining, reset, estimated),
               PX = until the window turns (Okta's Reset - Date + 1, as measured
               by the worker that saw the answer)
    P g:O:x:B  a 429 closed bucket B: no call from any worker while it exists
               (PX = the pause)
    P g:O:slots sorted set of the leases of calls in flight, each scored by when it
               expires (Redis's clock, milliseconds)

(``P g:f:B`` and so on when a question names no org.)
"""

from __future__ import annotations

from okta_session_mw.cache.redis.scripts import LuaScript

__all__ = ["GATE_NOTE", "GATE_SLOT", "GATE_TAKE"]

# figures(key, longest): a window's {limit, remaining, reset, estimated, ms left}, or nil
# when there is none; a key that is not such a window (another type, a figure that is
# not an integer, remaining above limit, no expiry or one longer than ``longest`` ms)
# is deleted, read as none.
_FIGURES = """
local function int(value)
  if value and #value < 16 and string.match(value, '^-?%d+$') then
    return tonumber(value)
  end
  return nil
end
local function figures(key, longest)
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'none' then
    return nil
  end
  if kind == 'hash' then
    local f = redis.call('HMGET', key, 'limit', 'remaining', 'reset', 'estimated')
    local limit, remaining, reset = int(f[1]), int(f[2]), int(f[3])
    local estimated = int(f[4] or '0')
    local left = redis.call('PTTL', key)
    if limit and remaining and reset and estimated and limit >= 0 and remaining <= limit
       and left > 0 and left <= longest then
      return {limit, remaining, reset, estimated, left}
    end
  end
  redis.call('DEL', key)
  return nil
end
"""

# KEYS: closed, bucket figures, family figures
# ARGV: count (1/0), then for the bucket and for the family seven numbers each:
#       limit used, floor (-1: not checked), seed ms (0: no seed), seed limit,
#       seed remaining, seed reset, seed estimated (1/0); then the longest ms
# Reply: {verdict ('ok', 'closed', 'limit' or 'refused'), closed ms, then for the bucket
#        and the family six numbers each: present (1/0), limit, remaining, reset,
#        estimated, ms left}
GATE_TAKE = LuaScript(
    _FIGURES
    + """
local longest = tonumber(ARGV[16])
local closed = redis.call('PTTL', KEYS[1])
if closed > longest then
  redis.call('DEL', KEYS[1])
  closed = 0
end
local function seeded(key, base)
  local fig = figures(key, longest)
  local ms = tonumber(ARGV[base + 3])
  if not fig and ms > 0 then
    redis.call('HSET', key, 'limit', ARGV[base + 4], 'remaining', ARGV[base + 5],
               'reset', ARGV[base + 6], 'estimated', ARGV[base + 7])
    redis.call('PEXPIRE', key, math.min(ms, longest))
    fig = figures(key, longest)
  end
  return fig
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
"""
)

# KEYS: bucket figures, family figures, closed, slots
# ARGV: has figures (1/0), limit, remaining, reset, window ms, close ms, lease ('': none),
#       the longest ms (a window or pause is never kept longer)
# An answer's figures replace a window of an earlier Reset; in the window being counted
# the lower remaining stands (calls admitted after the answer was sent still count);
# an answer of an earlier window, or of one that turned meanwhile, changes nothing.
GATE_NOTE = LuaScript(
    _FIGURES
    + """
local longest = tonumber(ARGV[8])
if ARGV[1] == '1' then
  local reset = tonumber(ARGV[4])
  for i = 1, 2 do
    local old = figures(KEYS[i], longest)
    if not old or reset > old[3] then
      redis.call('HSET', KEYS[i], 'limit', ARGV[2], 'remaining', ARGV[3], 'reset', ARGV[4],
                 'estimated', 0)
      redis.call('PEXPIRE', KEYS[i], math.min(tonumber(ARGV[5]), longest))
    elseif reset == old[3] and old[4] ~= 1 then
      local lower = math.min(old[2], tonumber(ARGV[3]))
      redis.call('HSET', KEYS[i], 'limit', ARGV[2], 'remaining', lower)
    end
  end
end
local pause = math.min(tonumber(ARGV[6]), longest)
if pause > 0 and redis.call('PTTL', KEYS[3]) < pause then
  redis.call('SET', KEYS[3], '1', 'PX', pause)
end
if ARGV[7] ~= '' and redis.call('TYPE', KEYS[4])['ok'] == 'zset' then
  redis.call('ZREM', KEYS[4], ARGV[7])
end
return 1
"""
)

# KEYS: slots   ARGV: lease, most leases (the engine's figure), lease ms, the longest ms
# Reply: 1 when the lease was taken, 0 when every slot is held. A lease scored beyond
# the longest an honest one lives (this one's, or the longest ms) is dropped.
GATE_SLOT = LuaScript("""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('TYPE', KEYS[1])['ok'] ~= 'zset' then
  redis.call('DEL', KEYS[1])
end
local longest = math.max(tonumber(ARGV[3]), tonumber(ARGV[4]))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. string.format('%d', now + longest), '+inf')
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
