-- A Lua function that counts the chats a staff member holds now. The claims set can hold ids
-- of chats that ended or moved on since (the heartbeat tidies it only every few seconds), so
-- each id is checked against its handoff: active and claimed by this staff member. The handoff
-- key is built from the two parts around an id (`Keys.handoff_key_parts()`, its first pair).
local function open_chats(claims, staff, handoff_before, handoff_after)
  local count = 0
  for _, id in ipairs(redis.call('SMEMBERS', claims)) do
    local h = redis.call('HMGET', handoff_before .. id .. handoff_after, 'state', 'claimed_by')
    if h[1] == 'active' and h[2] == staff then count = count + 1 end
  end
  return count
end
