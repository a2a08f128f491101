-- A supervisor writes into an active chat beside the staff member who holds it (joining it).
-- The entry goes to both sides (`to` all: the person sees a staff message, the holder's console
-- sees it marked by the flag `supervisor`) and is audited without its text; the holder keeps the
-- chat. Once per client message id, as post.lua. KEYS: handoff, stream, sent, session, audit.
-- ARGV: handoff_id, session_id, supervisor, text, msg_id, now, ttl, maxlen, audit_ttl,
-- audit_maxlen
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[1] ~= 'active' then return {'conflict', h[1]} end
local ttl = ARGV[7]
if ARGV[5] ~= '' then
  local existing = redis.call('HGET', KEYS[3], ARGV[5])
  if existing then return {'duplicate', existing} end
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 'kind', 'text',
                      'from', 'staff', 'to', 'all', 'text', ARGV[4], 'flags', 'supervisor',
                      'at', ARGV[6])
if ARGV[5] ~= '' then
  if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[8]) then redis.call('DEL', KEYS[3]) end
  redis.call('HSET', KEYS[3], ARGV[5], id)
  redis.call('EXPIRE', KEYS[3], ttl)
end
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[4], ttl)
append_audit(KEYS[5], ARGV[9], ARGV[10], 'at', ARGV[6], 'who', ARGV[3],
             'action', 'supervisor_wrote', 'handoff', ARGV[1])
return {'ok', id}
