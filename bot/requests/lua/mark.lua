-- Records that a claimed thread message is posted, with fields to set in the same step (its ts).
-- KEYS: record. ARGV: what, field, value, ...
-- Returns 1 when marked now, 0 when it was marked already (or there is no record).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local posted = redis.call('HGET', KEYS[1], 'posted') or ''
for w in string.gmatch(posted, '[^,]+') do if w == ARGV[1] then return 0 end end
redis.call('HSET', KEYS[1], 'posted', posted == '' and ARGV[1] or (posted .. ',' .. ARGV[1]))
redis.call('HDEL', KEYS[1], 'posting:' .. ARGV[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
