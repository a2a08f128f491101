-- Staff hand a conversation they hold back to the bot (`release`; closing is close.lua),
-- counted in the day's statistics in the same step.
-- KEYS: handoff, session, leases, stream, claims, audit, stats
-- ARGV: handoff_id, session_id, staff, now, new_state, ttl, audit_ttl, audit_maxlen, when the
-- stats hash expires (Unix seconds)
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id', 'claimed_by')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[3] ~= ARGV[3] then return {'forbidden', h[1]} end
if h[1] ~= 'active' then return {'conflict', h[1]} end
count_ending(KEYS[7], ARGV[9], KEYS[1], h[1], ARGV[5], ARGV[4], '', '')
local ttl = ARGV[6]
redis.call('HSET', KEYS[1], 'state', ARGV[5], 'ended_at', ARGV[4], 'ended_by', 'staff')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'none')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[4], '*', 'kind', ARGV[5], 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', ARGV[4])
redis.call('EXPIRE', KEYS[4], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[6], ARGV[7], ARGV[8], 'at', ARGV[4], 'who', ARGV[3], 'action', ARGV[5],
             'handoff', ARGV[1])
return {'ok', ARGV[5]}
