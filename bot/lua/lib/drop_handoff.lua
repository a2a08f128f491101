-- A Lua function that deletes every key of one handoff and its place in the queue, the leases and
-- the staff member's claims. Key names come from `Keys.handoff_key_parts()` (12 values) starting
-- at ARGV[first]: the handoff id is only known inside Redis, so the names are built there (this
-- needs a single Redis, not a cluster, as the rest of the gateway does).
local function drop_handoff(id, queue, leases, first)
  local function key(n) return ARGV[first + 2 * n] .. id .. ARGV[first + 2 * n + 1] end
  local claimed = redis.call('HGET', key(0), 'claimed_by')
  if claimed and claimed ~= '' then
    redis.call('SREM', ARGV[first + 10] .. claimed .. ARGV[first + 11], id)
  end
  redis.call('DEL', key(0), key(1), key(2), key(3), key(4))
  redis.call('LREM', queue, 0, id)
  redis.call('ZREM', leases, id)
end
