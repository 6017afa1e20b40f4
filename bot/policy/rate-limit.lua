-- The policy's rate limits and the worker heartbeat in one step (bot/policy/rate-limit.ts): what used to be
-- one rate-limiter-flexible call per bucket plus an EXISTS, with the same counting.
-- KEYS: for each bucket in order (commands, then privileged) the user's key, then the channel's key; last,
--       optionally, the heartbeat key to check (ARGV[1] = 1 when it is there).
-- ARGV: 1: whether the last key is a heartbeat (1/0); then per bucket: user max, user window (s),
--       channel max, channel window (s).
-- Each key is a fixed window as rate-limiter-flexible keeps it: created at 0 with the window as its expiry,
-- then incremented. Over the limit, the increment is given back at once (only requests let through count);
-- a request refused for the channel is also given back to the user. Buckets before the refusing one stay
-- counted (a privileged request refused for its privileged limit still counts as a command).
-- Returns {0, live} when let through (live: 1 when the heartbeat key exists or none was asked for), or
-- {1, bucket index (1-based), scope ('user'|'channel'), count including this request, ms left in the window}.
local function take(key, window)
  redis.call('SET', key, 0, 'EX', window, 'NX')
  local n = redis.call('INCRBY', key, 1)
  local ttl = redis.call('PTTL', key)
  if ttl == -1 then
    redis.call('EXPIRE', key, window)
    ttl = 1000 * window
  end
  return n, ttl
end

local heartbeat = ARGV[1] == '1'
local buckets = (#KEYS - (heartbeat and 1 or 0)) / 2
for b = 1, buckets do
  local userKey, channelKey = KEYS[2 * b - 1], KEYS[2 * b]
  local a = 1 + 4 * (b - 1)
  local n, ttl = take(userKey, tonumber(ARGV[a + 2]))
  if n > tonumber(ARGV[a + 1]) then
    redis.call('DECRBY', userKey, 1)
    return {1, b, 'user', n, ttl}
  end
  n, ttl = take(channelKey, tonumber(ARGV[a + 4]))
  if n > tonumber(ARGV[a + 3]) then
    redis.call('DECRBY', channelKey, 1)
    redis.call('DECRBY', userKey, 1)
    return {1, b, 'channel', n, ttl}
  end
end
if heartbeat then return {0, redis.call('EXISTS', KEYS[#KEYS])} end
return {0, 1}
