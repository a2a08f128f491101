-- Change fields of a session that still exists: a quick exit during a turn must not be undone by
-- the turn's own write (a plain HSET would recreate the erased hash). KEYS: session. ARGV: the TTL,
-- then field, value pairs.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
