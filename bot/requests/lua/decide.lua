-- Deny (an approver) or cancel (the requester) a privileged request that is still planning or pending; its
-- audit entry (`denied`/`cancelled`) is due from then on.
-- KEYS: record. ARGV: to ('denied'|'cancelled'), user, now (ms), reason.
-- Returns {'ok'} / {'missing'} / {'not_pending', state} / {'expired'} / {'not_requester'}.
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {'missing'} end
if st ~= 'pending' and st ~= 'planning' then return {'not_pending', st} end
local now = tonumber(ARGV[3])
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if st == 'pending' and exp and now > tonumber(exp) then return {'expired'} end
if ARGV[1] == 'cancelled' and redis.call('HGET', KEYS[1], 'requester') ~= ARGV[2] then return {'not_requester'} end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'decidedBy', ARGV[2], 'decisionReason', ARGV[4], 'decidedAt', ARGV[3], 'due:' .. ARGV[1], ARGV[3])
return {'ok'}
