-- Compare-and-append to the hash-chained audit stream: XADD only if the head is still what the caller hashed
-- against, and move the head in the same step (sha256 is not available in Redis Lua, so the hash is computed
-- by the caller; the head comparison makes concurrent appenders take turns).
-- With a third key (a once-marker, on the stream's hash tag) the append happens at most once: not when the
-- marker exists, and the marker is set in the same step. The caller checks that the entry is due (the
-- request record's `due:<item>` field, set with the state change that made it due) before, and clears that
-- field after: the record lives on another Redis Cluster slot, so it cannot be in this script. A crash after
-- a state change and before its audit entry leaves the entry due, and the sweep writes it; nothing is written
-- twice.
-- KEYS: stream, head[, once-marker]. ARGV: expected head ('' = none), seq, prev, hash, event, new head,
-- marker ttl seconds ('' without a marker), key id ('' = an unkeyed chain: no kid field).
-- Returns {1, id}, {0, current head} (someone appended first: hash again), or {2, ''} (done before).
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return {2, ''} end
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return {0, head} end
local id
if ARGV[8] and ARGV[8] ~= '' then
  id = redis.call('XADD', KEYS[1], '*', 'seq', ARGV[2], 'prev', ARGV[3], 'hash', ARGV[4], 'event', ARGV[5], 'kid', ARGV[8])
else
  id = redis.call('XADD', KEYS[1], '*', 'seq', ARGV[2], 'prev', ARGV[3], 'hash', ARGV[4], 'event', ARGV[5])
end
redis.call('SET', KEYS[2], ARGV[6])
if KEYS[3] then redis.call('SET', KEYS[3], '1', 'EX', tonumber(ARGV[7])) end
return {1, id}
