-- Claims the right to post one thread message (`what`) of a request, before it is posted.
-- KEYS: record. ARGV: what, now (ms), stale-after (ms).
-- Returns 3 when it was posted already; 0 when someone claimed it less than stale-after ago (or there is no
-- record); 1 for a first claim; 2 when taking over a stale claim (its poster may have posted and died before
-- marking it: look for the message before posting again).
local posted = redis.call('HGET', KEYS[1], 'posted') or ''
for w in string.gmatch(posted, '[^,]+') do if w == ARGV[1] then return 3 end end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local at = redis.call('HGET', KEYS[1], 'posting:' .. ARGV[1])
if at and tonumber(ARGV[2]) - tonumber(at) < tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'posting:' .. ARGV[1], ARGV[2])
if at then return 2 end
return 1
