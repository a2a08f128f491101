-- KEYS: session, queue, handoff, stream, leases, Telegram's watched handoffs. ARGV: session_id,
-- handoff_id, reason, lang, channel, now, ttl, available, the 12 key parts, the most queued (0 = no cap; 'full' before
-- anything is written when the queue holds that many). A session asks again after its earlier
-- handoff ended: that handoff and its transcript go now, so nothing of it outlives the session's
-- id pointing at it (erasing the session finds only the newest handoff). A session the safety
-- layer marked (`risk`: the kind of danger, never text) carries the mark to the handoff and goes
-- ahead of every unmarked chat in the queue, behind the marked ones already waiting.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing', ''} end
local state = redis.call('HGET', KEYS[1], 'handoff')
if state == 'queued' or state == 'active' then
  return {'existing', redis.call('HGET', KEYS[1], 'handoff_id')}
end
local max_queued = tonumber(ARGV[21])
if max_queued > 0 and redis.call('LLEN', KEYS[2]) >= max_queued then return {'full', ''} end
local old = redis.call('HGET', KEYS[1], 'handoff_id')
if old and old ~= '' and old ~= ARGV[2] then
  local old_state = redis.call('HGET', ARGV[9] .. old .. ARGV[10], 'state')
  if old_state ~= 'queued' and old_state ~= 'active' then
    drop_handoff(old, KEYS[2], KEYS[5], 9)
  end
end
local ttl = ARGV[7]
local risk = redis.call('HGET', KEYS[1], 'risk') or ''
redis.call('HSET', KEYS[3], 'session_id', ARGV[1], 'state', 'queued', 'reason', ARGV[3],
           'lang', ARGV[4], 'channel', ARGV[5], 'queued_at', ARGV[6], 'claimed_by', '',
           'wait_notified', ARGV[8] == '1' and '0' or '1', 'risk', risk)
redis.call('EXPIRE', KEYS[3], ttl)
redis.call('XGROUP', 'CREATE', KEYS[4], 'person', '0', 'MKSTREAM')
redis.call('XGROUP', 'CREATE', KEYS[4], 'staff', '0', 'MKSTREAM')
if ARGV[8] ~= '1' then
  redis.call('XADD', KEYS[4], '*', 'kind', 'no_staff', 'from', 'system', 'to', 'person',
             'text', '', 'flags', '', 'at', ARGV[6])
end
redis.call('EXPIRE', KEYS[4], ttl)
queue_by_risk(KEYS[2], ARGV[2], risk ~= '', ARGV[9], ARGV[10])
redis.call('EXPIRE', KEYS[2], ttl)
if ARGV[5] == 'telegram' then
  redis.call('SADD', KEYS[6], ARGV[2])
  redis.call('EXPIRE', KEYS[6], ttl)
end
redis.call('HSET', KEYS[1], 'handoff', 'queued', 'handoff_id', ARGV[2])
redis.call('EXPIRE', KEYS[1], ttl)
return {'queued', ARGV[2]}
