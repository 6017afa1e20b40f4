-- Releases a request's lock only if it is still the caller's (it may have expired and been taken over).
-- KEYS: lock. ARGV: token. Returns 1 when released.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
