-- Compare-and-append to the hash-chained audit stream: XADD only if the head is still what the caller hashed
-- against, and move the head in the same step (sha256 is not available in Redis Lua, so the hash is computed
-- by the caller; the head comparison makes concurrent appenders take turns).
-- With a third key (a request record) the append happens at most once: only while the record has the field
-- `due:<ARGV[7]>` (set with the state change that makes the entry due), deleted in the same step. A crash after a state change and before
-- its audit entry leaves the entry due, and the sweep writes it; nothing is written twice.
-- KEYS: stream, head[, record]. ARGV: expected head ('' = none), seq, prev, hash, event, new head, due item
-- ('' without a record), key id ('' = an unkeyed chain: no kid field).
-- Returns {1, id}, {0, current head} (someone appended first: hash again), or {2, ''} (not due: done before).
if KEYS[3] then
  if redis.call('HEXISTS', KEYS[3], 'due:' .. ARGV[7]) == 0 then return {2, ''} end
  local head = redis.call('GET', KEYS[2]) or ''
  if head ~= ARGV[1] then return {0, head} end
  redis.call('HDEL', KEYS[3], 'due:' .. ARGV[7])
else
  local head = redis.call('GET', KEYS[2]) or ''
  if head ~= ARGV[1] then return {0, head} end
end
local id
if ARGV[8] and ARGV[8] ~= '' then
  id = redis.call('XADD', KEYS[1], '*', 'seq', ARGV[2], 'prev', ARGV[3], 'hash', ARGV[4], 'event', ARGV[5], 'kid', ARGV[8])
else
  id = redis.call('XADD', KEYS[1], '*', 'seq', ARGV[2], 'prev', ARGV[3], 'hash', ARGV[4], 'event', ARGV[5])
end
redis.call('SET', KEYS[2], ARGV[6])
return {1, id}
