-- The holder hands a chat to a named colleague (at once theirs: lease, claims, session) or, with
-- no name, back to the front of the queue as a lapsed lease's requeue does (its risk mark stays
-- on the handoff). An optional note goes into the transcript addressed to staff only, so the next
-- holder reads it and the person never does; the audit entry names who and to whom, never the
-- note. Refusals write nothing: 'self', 'unknown' (no such account), 'off_duty' (no heartbeat
-- since `on_duty_since`), 'full' (the colleague holds `max_open` chats; 0 = no limit).
-- KEYS: handoff, session, queue, leases, stream, holder's claims, colleague's claims, colleague's
-- account, on duty, audit (with no colleague, the holder's claims and account stand in: unused)
-- ARGV: handoff_id, session_id, staff, colleague ('' = the queue), now, lease_ms, ttl, audit_ttl,
-- audit_maxlen, on_duty_since, max_open, note ('' = none), stream_maxlen, the handoff key's parts
-- around an id
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id', 'claimed_by')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
if h[3] ~= ARGV[3] then return {'forbidden', h[1]} end
if h[1] ~= 'active' then return {'conflict', h[1]} end
local to, now, ttl = ARGV[4], tonumber(ARGV[5]), ARGV[7]
if to ~= '' then
  if to == ARGV[3] then return {'self', h[1]} end
  if redis.call('EXISTS', KEYS[8]) == 0 then return {'unknown', h[1]} end
  local seen = redis.call('ZSCORE', KEYS[9], to)
  if not seen or tonumber(seen) < tonumber(ARGV[10]) then return {'off_duty', h[1]} end
  local max_open = tonumber(ARGV[11])
  if max_open > 0 and open_chats(KEYS[7], to, ARGV[14], ARGV[15]) >= max_open then
    return {'full', h[1]}
  end
end
if ARGV[12] ~= '' then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[13], '*', 'kind', 'note', 'from', 'staff',
             'to', 'staff', 'text', ARGV[12], 'flags', '', 'at', now)
end
redis.call('SREM', KEYS[6], ARGV[1])
local kind, action, session_state
if to ~= '' then
  local until_ms = now + tonumber(ARGV[6])
  redis.call('HSET', KEYS[1], 'claimed_by', to, 'claimed_at', now, 'lease_until', until_ms)
  redis.call('ZADD', KEYS[4], until_ms, ARGV[1])
  redis.call('SADD', KEYS[7], ARGV[1])
  redis.call('EXPIRE', KEYS[7], ttl)
  kind, action, session_state = 'transferred', 'transferred', 'active'
else
  redis.call('HSET', KEYS[1], 'state', 'queued', 'claimed_by', '', 'lease_until', '',
             'requeued_at', now)
  redis.call('ZREM', KEYS[4], ARGV[1])
  redis.call('LREM', KEYS[3], 0, ARGV[1])
  redis.call('LPUSH', KEYS[3], ARGV[1])
  redis.call('EXPIRE', KEYS[3], ttl)
  kind, action, session_state = 'transferred_to_queue', 'returned_to_queue', 'queued'
end
redis.call('EXPIRE', KEYS[4], ttl)
if redis.call('HGET', KEYS[2], 'handoff_id') == ARGV[1] then
  redis.call('HSET', KEYS[2], 'handoff', session_state)
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[13], '*', 'kind', kind, 'from', 'system',
           'to', 'all', 'text', '', 'flags', '', 'at', now)
redis.call('EXPIRE', KEYS[5], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
append_audit(KEYS[10], ARGV[8], ARGV[9], 'at', now, 'who', ARGV[3], 'action', action,
             'handoff', ARGV[1], 'to', to)
return {'ok', kind}
