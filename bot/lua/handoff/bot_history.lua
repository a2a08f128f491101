-- The conversation with the bot before the handoff, copied into its transcript in one step, for
-- staff only (`to` staff: the person's feed never replays it), and only while the handoff is
-- still open and the session's: a conversation erased meanwhile gets nothing written back.
-- KEYS: handoff, stream. ARGV: session_id, now, ttl, maxlen, then (from, text) pairs, oldest first.
local h = redis.call('HMGET', KEYS[1], 'state', 'session_id')
if (h[1] ~= 'queued' and h[1] ~= 'active') or h[2] ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local added = 0
for i = 5, #ARGV - 1, 2 do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'bot_history',
             'from', ARGV[i], 'to', 'staff', 'text', ARGV[i + 1], 'flags', '', 'at', ARGV[2])
  added = added + 1
end
redis.call('EXPIRE', KEYS[2], ARGV[3])
return added
