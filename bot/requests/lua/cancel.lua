-- `/poddebug cancel`: moves a request that is still open (one of the allowed states) to its cancelled state,
-- recording who cancelled it and the state it was in, with its `cancelled` audit entry due from then on. One
-- step, so of two concurrent cancels (or a cancel and a result) exactly one wins.
-- KEYS: record. ARGV: allowed-from states (comma list), to, user, now (ms), field, value, ...
-- Returns {'ok', previous state} / {'missing'} / {'not_open', state}.
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {'missing'} end
local ok = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == st then ok = true end end
if not ok then return {'not_open', st} end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'cancelledBy', ARGV[3], 'cancelledFrom', st, 'due:cancelled', ARGV[4])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return {'ok', st}
