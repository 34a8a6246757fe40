-- One rate-limit decision, atomically: the router (rate-limit.ts) and the REST shim
-- (src/crmgraph/rest/rate_limit_store.py) both run this text, so the two cannot drift.
--
-- KEYS[1]      the caller's token bucket (hash t = tokens, ts = ms)
-- KEYS[2]      the caller's hour window (counter, expires with the window)
-- KEYS[3]      the caller's day window
-- KEYS[4..]    one token bucket per expensive root field in the request
-- ARGV[1]      burst limit (bucket capacity)
-- ARGV[2]      requests per minute (refill rate)
-- ARGV[3]      requests per hour
-- ARGV[4]      requests per day
-- ARGV[5..]    per-minute limit of each field in KEYS[4..] (capacity and refill)
--
-- Nothing is consumed unless every limit allows the request, so a refused caller does not
-- dig itself deeper. Returns {allowed, remaining, reset_at_ms, retry_after_ms, which}:
-- which is 0 (allowed), 1 burst/minute, 2 hour, 3 day, or 3 + i for the i-th field.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local MINUTE, HOUR, DAY = 60000, 3600000, 86400000

local function level(key, capacity, per_minute)
  local rate = per_minute / MINUTE
  local state = redis.call('HMGET', key, 't', 'ts')
  local tokens, ts = tonumber(state[1]), tonumber(state[2])
  if tokens == nil or ts == nil then
    return capacity, rate
  end
  return math.min(capacity, tokens + math.max(0, now - ts) * rate), rate
end

local function take(key, tokens, capacity, rate)
  redis.call('HSET', key, 't', tostring(tokens - 1), 'ts', now)
  -- Once full again the bucket equals a missing one, so it may go.
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens + 1) / rate) + 1000)
end

local function counted(key)
  return tonumber(redis.call('GET', key) or '0')
end

local function window_reset(key, window)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then ttl = window end
  return ttl
end

local capacity, per_minute = tonumber(ARGV[1]), tonumber(ARGV[2])
local per_hour, per_day = tonumber(ARGV[3]), tonumber(ARGV[4])
local which, retry = 0, 0
local function refuse(kind, wait)
  if wait > retry or which == 0 then
    which, retry = kind, wait
  end
end

local tokens, rate = level(KEYS[1], capacity, per_minute)
if tokens < 1 then refuse(1, math.ceil((1 - tokens) / rate)) end
local hour, day = counted(KEYS[2]), counted(KEYS[3])
if hour >= per_hour then refuse(2, window_reset(KEYS[2], HOUR)) end
if day >= per_day then refuse(3, window_reset(KEYS[3], DAY)) end

local fields = {}
for i = 4, #KEYS do
  local limit = tonumber(ARGV[i + 1])
  local have, field_rate = level(KEYS[i], limit, limit)
  fields[i] = {have, field_rate, limit}
  if have < 1 then refuse(i, math.ceil((1 - have) / field_rate)) end
end

if which ~= 0 then
  return {0, 0, now + retry, retry, which}
end

take(KEYS[1], tokens, capacity, rate)
for i = 4, #KEYS do
  take(KEYS[i], fields[i][1], fields[i][3], fields[i][2])
end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], HOUR) end
if redis.call('INCR', KEYS[3]) == 1 then redis.call('PEXPIRE', KEYS[3], DAY) end

local left = math.min(math.floor(tokens - 1), per_hour - hour - 1, per_day - day - 1)
local full_at = now + math.ceil((capacity - tokens + 1) / rate)
return {1, left, full_at, 0, 0}
