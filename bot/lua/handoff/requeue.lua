-- A lapsed lease puts the chat back at the front of the queue, and out of the claims of whoever
-- held it: a later sign-off of theirs must not touch it once someone else has claimed it.
-- KEYS: handoff, session, queue, leases, stream, audit, stats. ARGV: handoff_id, now, ttl,
-- audit_ttl, audit_maxlen, claims key before and after the staff name (built here: only Redis
-- knows who), when the stats hash expires (Unix seconds; the requeue is counted there)
local score = redis.call('ZSCORE', KEYS[4], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[4], ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'state', 'claimed_by')
if h[1] ~= 'active' then return 0 end
count_requeue(KEYS[7], ARGV[8])
if h[2] and h[2] ~= '' then redis.call('SREM', ARGV[6] .. h[2] .. ARGV[7], ARGV[1]) end
local ttl = ARGV[3]
redis.call('HSET', KEYS[1], 'state', 'queued', 'claimed_by', '', 'lease_until', '',
           'requeued_at', ARGV[2])
redis.call('LPUSH', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], ttl)
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'queued')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], '*', 'kind', 'requeued', 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', ARGV[2])
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[6], ARGV[4], ARGV[5], 'at', ARGV[2], 'who', h[2] or '',
             'action', 'lease_lapsed', 'handoff', ARGV[1])
return 1
