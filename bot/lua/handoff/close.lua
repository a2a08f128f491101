-- Close an open chat with its wrap-up, and count it in the day's statistics in the same step.
-- The staff member who holds it may close it; a supervisor may close any open one, queued or
-- held by someone else (the holder's console gets the `closed` event and the chat leaves their
-- claims). KEYS: handoff, session, queue, leases, stream, audit, stats. ARGV: handoff_id,
-- session_id, staff, now, ttl, audit_ttl, audit_maxlen, '1' when a supervisor closes, the claims
-- key before and after a staff name (built here: only Redis knows the holder), when the stats
-- hash expires (Unix seconds), the wrap-up's categories (comma-separated ids), its outcome id.
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id', 'claimed_by')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
local by_supervisor = ARGV[8] == '1'
if not by_supervisor and h[3] ~= ARGV[3] then return {'forbidden', h[1]} end
if h[1] ~= 'active' and not (by_supervisor and h[1] == 'queued') then
  return {'conflict', h[1]}
end
count_ending(KEYS[7], ARGV[11], KEYS[1], h[1], 'closed', ARGV[4], ARGV[12], ARGV[13])
local ttl = ARGV[5]
redis.call('HSET', KEYS[1], 'state', 'closed', 'ended_at', ARGV[4], 'ended_by', 'staff')
redis.call('LREM', KEYS[3], 0, ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if h[3] and h[3] ~= '' then redis.call('SREM', ARGV[9] .. h[3] .. ARGV[10], ARGV[1]) end
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'none')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], '*', 'kind', 'closed', 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', ARGV[4])
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
local action = 'closed'
if h[3] ~= ARGV[3] then action = 'closed_by_supervisor' end
append_audit(KEYS[6], ARGV[6], ARGV[7], 'at', ARGV[4], 'who', ARGV[3], 'action', action,
             'handoff', ARGV[1])
return {'ok', 'closed'}
