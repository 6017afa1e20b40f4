-- Records the view id views.open returned for a draft: from then on only that view may consume it.
-- KEYS: the draft's hash. ARGV: the view id.
-- Returns 'bound' (now or already with this view), 'taken' (a submission under another view came first)
-- or 'unknown' (no such draft: never creates one without its TTL).
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HSETNX', KEYS[1], 'view', ARGV[1]) == 1 then return 'bound' end
if redis.call('HGET', KEYS[1], 'view') == ARGV[1] then return 'bound' end
return 'taken'
