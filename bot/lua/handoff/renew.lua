-- The heartbeat renews a lease the staff member still holds. KEYS: handoff, leases, claims
-- ARGV: handoff_id, staff, now, lease_ms, ttl (ZADD may recreate the leases set: it gets a TTL)
local h = redis.call('HMGET', KEYS[1], 'state', 'claimed_by')
if h[1] ~= 'active' or h[2] ~= ARGV[2] then
  redis.call('SREM', KEYS[3], ARGV[1])
  return 0
end
local until_ms = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'lease_until', until_ms)
redis.call('ZADD', KEYS[2], until_ms, ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
