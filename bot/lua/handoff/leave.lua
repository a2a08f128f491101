-- The person leaves the queue or the chat (counted in the day's statistics in the same step).
-- KEYS: handoff, session, queue, leases, stream, audit, stats
-- ARGV: handoff_id, session_id, now, ttl, audit_ttl, audit_maxlen, when the stats hash expires
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[1] ~= 'queued' and h[1] ~= 'active' then return {'conflict', h[1]} end
count_ending(KEYS[7], ARGV[7], KEYS[1], h[1], 'left', ARGV[3], '', '')
local ttl = ARGV[4]
redis.call('HSET', KEYS[1], 'state', 'closed', 'ended_at', ARGV[3], 'ended_by', 'person')
redis.call('LREM', KEYS[3], 0, ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'none')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], '*', 'kind', 'left', 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', ARGV[3])
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[6], ARGV[5], ARGV[6], 'at', ARGV[3], 'who', 'person', 'action', 'left',
             'handoff', ARGV[1])
return {'ok', 'closed'}
