-- Extends a request's lock while its holder is still working (a Slack call waiting out a 429).
-- KEYS: lock. ARGV: token, ttl (ms). Returns 1 when extended, 0 when the lock is no longer the caller's.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 0
