--[[
  Takes a probe's slots: its target container (one probe at a time) and one
  of the node's slots (at most maxPerNode at a time). See slots.ts.

  KEYS[1] container key (string: the holder's JSON, PX ttl)
  KEYS[2] node key (sorted set: member = job id, score = lease expiry in ms)
  ARGV[1] now (ms)
  ARGV[2] ttl (ms)
  ARGV[3] job id
  ARGV[4] holder JSON ({"jobId", "action", "requester", "until"})
  ARGV[5] maxPerNode

  Returns {0} taken, {1, holderJson} container busy (held by another job),
  {2, count} node full. The same job id takes its own slots back (a retried
  attempt); expired node leases are dropped before counting.
]]
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local holder = redis.call('GET', KEYS[1])
if holder then
  local ok, h = pcall(cjson.decode, holder)
  if not (ok and h.jobId == ARGV[3]) then return {1, holder} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if not redis.call('ZSCORE', KEYS[2], ARGV[3]) then
  local n = redis.call('ZCARD', KEYS[2])
  if n >= tonumber(ARGV[5]) then return {2, tostring(n)} end
end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], math.floor(tonumber(last[2])) + 1000)
return {0}
