-- Consumes a reason form's draft for ONE request, atomically (every bot replica shares it).
-- KEYS: the draft's hash (fields: draft = JSON, user = requester, view = the view id views.open returned,
--       used = the view id of the submission that consumed it).
-- ARGV: the submission's view id, the submitter's user id.
-- Returns {status, draft JSON or false}; status is
--   ok          the first valid submission: the draft is now used by this view
--   again       the same view's submission again (Slack redelivered it): same view, same request
--   unknown     no such draft (expired after 15 minutes, or never made)
--   not_yours   submitted by someone other than the requester
--   other_view  a view other than the one views.open returned for this draft
--   used        the draft already made a request under another view
local h = redis.call('HMGET', KEYS[1], 'draft', 'user', 'view', 'used')
local draft, user, view, used = h[1], h[2], h[3], h[4]
if not draft then return { 'unknown', false } end
if user ~= ARGV[2] then return { 'not_yours', draft } end
if used then
  if used == ARGV[1] then return { 'again', draft } end
  return { 'used', draft }
end
if view and view ~= ARGV[1] then return { 'other_view', draft } end
redis.call('HSET', KEYS[1], 'used', ARGV[1], 'view', ARGV[1])
return { 'ok', draft }
