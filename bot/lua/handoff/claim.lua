-- KEYS: handoff, session, queue, leases, stream, claims, audit
-- ARGV: handoff_id, session_id, staff, now, lease_ms, ttl, audit_ttl, audit_maxlen, max_open
-- (0 = no limit: a staff member who holds that many chats already is refused, 'full', before
-- anything is written), the handoff key's parts around an id
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[1] ~= 'queued' then return {'conflict', h[1]} end
local max_open = tonumber(ARGV[9])
if max_open > 0 and open_chats(KEYS[6], ARGV[3], ARGV[10], ARGV[11]) >= max_open then
  return {'full', h[1]}
end
local now, ttl = tonumber(ARGV[4]), ARGV[6]
local until_ms = now + tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'state', 'active', 'claimed_by', ARGV[3], 'claimed_at', now,
           'lease_until', until_ms)
redis.call('LREM', KEYS[3], 0, ARGV[1])
redis.call('ZADD', KEYS[4], until_ms, ARGV[1])
redis.call('EXPIRE', KEYS[4], ttl)
redis.call('SADD', KEYS[6], ARGV[1])
redis.call('EXPIRE', KEYS[6], ttl)
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', 'active')
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], '*', 'kind', 'joined', 'from', 'system', 'to', 'all',
           'text', '', 'flags', '', 'at', now)
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[7], ARGV[7], ARGV[8], 'at', now, 'who', ARGV[3], 'action', 'claimed',
             'handoff', ARGV[1])
return {'ok', 'active'}
