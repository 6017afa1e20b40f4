--[[
  Gives a probe's slots back (see slot-acquire.lua). Idempotent; the
  container key is deleted only while this job holds it.

  KEYS[1] container key
  KEYS[2] node key
  ARGV[1] job id

  Returns 0.
]]
local holder = redis.call('GET', KEYS[1])
if holder then
  local ok, h = pcall(cjson.decode, holder)
  if ok and h.jobId == ARGV[1] then redis.call('DEL', KEYS[1]) end
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
