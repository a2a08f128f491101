-- Quick exit, in one step: read the session's handoff id and delete the session, Rasa's tracker
-- and that handoff with its transcript, so a handoff queued meanwhile cannot slip between a read
-- and the delete. KEYS: session, tracker, queue, leases, open set. ARGV: the 12 handoff key parts,
-- the session id (leaves the count of open sessions).
local handoff_id = redis.call('HGET', KEYS[1], 'handoff_id')
if handoff_id and handoff_id ~= '' then drop_handoff(handoff_id, KEYS[3], KEYS[4], 1) end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[5], ARGV[13])
return 1
