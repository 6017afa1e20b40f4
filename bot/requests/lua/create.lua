-- Creates a request's record unless it exists: one step, so a crash leaves no half record. The caller adds
-- the request's job first (a record, and so the sweep, never sees a job that was never queued) and lists the
-- id in its cluster's open set just before (ZADD NX): that set lives on another Redis Cluster slot than the
-- record, so it cannot be in this script. An id listed whose record never came is dropped by the sweep.
-- KEYS: record. ARGV: ttl seconds, field, value, ...
-- Returns 1 when created, 0 when a record with this id exists (a redelivered request).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
