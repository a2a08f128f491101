-- A staff account leaves: expire the lease of one chat now, only if the account still holds it
-- (after a requeue someone else may). Plain ZADD, not XX: a held chat whose lease entry went
-- missing is requeued too. KEYS: handoff, leases, claims. ARGV: handoff_id, staff, ttl
local h = redis.call('HMGET', KEYS[1], 'state', 'claimed_by')
redis.call('SREM', KEYS[3], ARGV[1])
if h[1] ~= 'active' or h[2] ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
