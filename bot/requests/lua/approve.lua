-- Adds an approver to a pending privileged request; the approval that reaches `needed` moves it to approved.
-- One decision per approver; never the requester; a request past its expiry is refused (settle marks it).
-- KEYS: record, approvers list. ARGV: approver, now (ms), start-within (ms), ttl seconds.
-- Returns {'recorded'|'approved', n, needed} or {'missing'} / {'not_pending', state} / {'expired'} /
-- {'self'} / {'already'}.
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {'missing'} end
if st ~= 'pending' then return {'not_pending', st} end
local now = tonumber(ARGV[2])
if now > tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then return {'expired'} end
if redis.call('HGET', KEYS[1], 'requester') == ARGV[1] then return {'self'} end
if redis.call('LPOS', KEYS[2], ARGV[1]) then return {'already'} end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
local n = redis.call('LLEN', KEYS[2])
local needed = tonumber(redis.call('HGET', KEYS[1], 'needed'))
if n >= needed then
  redis.call('HSET', KEYS[1], 'state', 'approved', 'approvedAt', ARGV[2], 'startBy', tostring(now + tonumber(ARGV[3])))
  return {'approved', tostring(n), tostring(needed)}
end
return {'recorded', tostring(n), tostring(needed)}
