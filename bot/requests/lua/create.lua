-- Creates a request's record unless it exists, and lists it as open: one step, so a crash leaves no half
-- record. The caller adds the request's job first: a record (and so the sweep) never sees a job that was
-- never queued.
-- KEYS: record, open set, the channel's open set (`/poddebug jobs`). ARGV: createdAt (score), id, ttl seconds, field, value, ...
-- Returns 1 when created, 0 when a record with this id exists (a redelivered request).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
return 1
