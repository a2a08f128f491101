-- Quick exit, in one step: read the session's handoff id and delete the session, Rasa's tracker
-- and that handoff with its transcript, so a handoff queued meanwhile cannot slip between a read
-- and the delete. A handoff still open ends as the person leaving it, counted in the day's
-- statistics (no id goes there). KEYS: session, tracker, queue, leases, open set, stats.
-- ARGV: the 12 handoff key parts, the session id (leaves the count of open sessions), now (ms),
-- when the stats hash expires (Unix seconds).
local handoff_id = redis.call('HGET', KEYS[1], 'handoff_id')
if handoff_id and handoff_id ~= '' then
  local handoff = ARGV[1] .. handoff_id .. ARGV[2]
  local state = redis.call('HGET', handoff, 'state')
  if state == 'queued' or state == 'active' then
    count_ending(KEYS[6], ARGV[15], handoff, state, 'left', ARGV[14], '', '')
  end
  drop_handoff(handoff_id, KEYS[3], KEYS[4], 1)
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[5], ARGV[13])
return 1
