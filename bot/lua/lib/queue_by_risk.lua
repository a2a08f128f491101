-- A Lua function that puts a handoff into the queue list: a chat the safety layer marked goes
-- behind the marked ones already waiting and ahead of every unmarked one; an unmarked chat goes
-- last. The handoff key of a waiting id is built from the two parts around an id
-- (`Keys.handoff_key_parts()`, its first pair). Used by enqueue (a marked session) and post (a
-- flagged message during the wait), so both order the queue the same way.
local function queue_by_risk(queue, id, marked, handoff_before, handoff_after)
  local ahead_of = nil
  if marked then
    for _, waiting in ipairs(redis.call('LRANGE', queue, 0, -1)) do
      local mark = redis.call('HGET', handoff_before .. waiting .. handoff_after, 'risk')
      if not mark or mark == '' then ahead_of = waiting break end
    end
  end
  if ahead_of then
    redis.call('LINSERT', queue, 'BEFORE', ahead_of, id)
  else
    redis.call('RPUSH', queue, id)
  end
end
