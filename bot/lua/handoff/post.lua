-- One message into the transcript, once per client message id. The stream keeps about `maxlen`
-- entries (MAXLEN ~ trims the oldest whole nodes), and the ids remembered for deduplication are
-- forgotten together once there are `maxlen` of them: a flood cannot grow memory without bound.
-- A message of the person's that the safety layer flagged (`mark`: its kind of danger, never
-- text) marks a still-queued handoff that had no mark yet, and moves it ahead of every unmarked
-- chat in the queue, behind the marked ones: in this same step, so no claim sees it half-done.
-- Every flagged message also counts in the handoff's `flagged` (a number, never text), so the
-- console of whoever holds it can alert for a chat it is not showing.
-- KEYS: handoff, stream, sent, session, queue. ARGV: handoff_id, session_id, from, staff, text,
-- msg_id, now, ttl, flags, maxlen, mark ('' none), the handoff key before and after an id.
-- Returns {'ok', stream id, state, '1' when this message marked the handoff else ''}.
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id', 'claimed_by', 'risk')
if not h[1] or h[2] ~= ARGV[2] then return {'missing', ''} end
local to = 'staff'
if ARGV[3] == 'staff' then
  if h[3] ~= ARGV[4] then return {'forbidden', h[1]} end
  if h[1] ~= 'active' then return {'conflict', h[1]} end
  to = 'person'
elseif h[1] ~= 'queued' and h[1] ~= 'active' then
  return {'conflict', h[1]}
end
local ttl = ARGV[8]
if ARGV[6] ~= '' then
  local existing = redis.call('HGET', KEYS[3], ARGV[6])
  if existing then return {'duplicate', existing, h[1], ''} end
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[10], '*', 'kind', 'text',
                      'from', ARGV[3], 'to', to, 'text', ARGV[5], 'flags', ARGV[9], 'at', ARGV[7])
if ARGV[6] ~= '' then
  if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[10]) then redis.call('DEL', KEYS[3]) end
  redis.call('HSET', KEYS[3], ARGV[6], id)
  redis.call('EXPIRE', KEYS[3], ttl)
end
if ARGV[3] == 'person' and ARGV[11] ~= '' then redis.call('HINCRBY', KEYS[1], 'flagged', 1) end
local marked = ''
if ARGV[3] == 'person' and ARGV[11] ~= '' and h[1] == 'queued' and (not h[4] or h[4] == '') then
  redis.call('HSET', KEYS[1], 'risk', ARGV[11])
  marked = '1'
  if redis.call('LREM', KEYS[5], 0, ARGV[1]) > 0 then
    queue_by_risk(KEYS[5], ARGV[1], true, ARGV[12], ARGV[13])
    redis.call('EXPIRE', KEYS[5], ttl)
  end
end
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[4], ttl)
return {'ok', id, h[1], marked}
