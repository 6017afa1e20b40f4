-- create.lua for a request whose job is added in the same MULTI, just before this script (bot/queues.ts):
-- the record is made only if the job is there, so the sweep never meets a request without its job, even
-- when the add failed inside the transaction.
-- KEYS: record, open set, the job's hash (BullMQ), the channel's open set (`/poddebug jobs`). ARGV: createdAt (score), id, ttl seconds, field, value, ...
-- Returns 1 when created, 0 when a record with this id exists (a redelivered request), -1 when the job is
-- missing (nothing written).
if redis.call('EXISTS', KEYS[3]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[2])
return 1
