-- The last write of a turn: change fields of a session that still exists, keep it alive for
-- another TTL in its hash and in the open set, and read how long Rasa's tracker of it has left
-- (Rasa saves the tracker with its own TTL on every call: a fresh save shows that Rasa stored the
-- turn). A session erased meanwhile (a quick exit during the turn) is not brought back: nothing is
-- written then. KEYS: session, open set, Rasa's tracker. ARGV: ttl, expires_ms, session_id, then
-- field, value pairs. Returns {1, tracker PTTL} when kept, {0, -2} when the session is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, -2} end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return {1, redis.call('PTTL', KEYS[3])}
