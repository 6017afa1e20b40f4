-- Compare-and-set of a request's state, with extra fields.
-- KEYS: record. ARGV: allowed-from states (comma list), to, field, value, ...
-- Returns 1 when moved, 0 when the state was elsewhere (or there is no record).
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return 0 end
local ok = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == st then ok = true end end
if not ok then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
