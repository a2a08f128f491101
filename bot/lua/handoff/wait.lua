-- Tell a person who has waited too long, once. KEYS: handoff, stream. ARGV: now, wait_ms, ttl
local h = redis.call('HMGET', KEYS[1], 'state', 'queued_at', 'wait_notified')
if h[1] ~= 'queued' or h[3] == '1' then return 0 end
if tonumber(h[2]) + tonumber(ARGV[2]) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'wait_notified', '1')
redis.call('XADD', KEYS[2], '*', 'kind', 'wait_long', 'from', 'system', 'to', 'person',
           'text', '', 'flags', '', 'at', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
