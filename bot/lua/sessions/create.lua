-- A new session, unless HRV_MAX_OPEN_SESSIONS are open. Open sessions are counted in a sorted
-- set of their random ids scored by when they expire (ms): expired ones are trimmed here, and
-- every write that extends a session moves its score (nothing about the client is in it).
-- KEYS: session, open set. ARGV: now_ms, expires_ms, ttl, max (0 = no cap), session_id, then
-- field, value pairs. Returns 0 when full (nothing written), 1 when created.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local max = tonumber(ARGV[4])
if max > 0 and redis.call('ZCARD', KEYS[2]) >= max then return 0 end
for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
