-- A Lua function that counts one ended chat in the day's statistics hash, inside the script
-- that ends it, so the figures and the transition can never disagree. Only counter names and
-- integers are written: `how` (closed, released, left), the handoff's language, channel and
-- danger mark, the wrap-up ids, and seconds waited and handled (a sum, a count and a coarse
-- bucket each, for a median). Never an id, a name or text: a value that is not a short
-- lower-case word is counted as `other` (bot/handoff/counters.py reads the same names).
-- Call it before the handoff's state changes: `state` is the state the chat ended from.
local COUNTER_BUCKETS = {60, 120, 300, 600, 1200, 1800, 2700, 3600, 5400}

local function counter_word(value)
  if value and #value <= 32 and string.match(value, '^[a-z][a-z0-9_]*$') then return value end
  return 'other'
end

local function count_seconds(stats, measure, seconds)
  if seconds < 0 then seconds = 0 end
  redis.call('HINCRBY', stats, measure .. ':count', 1)
  redis.call('HINCRBY', stats, measure .. ':seconds', seconds)
  local bucket = 'over_' .. COUNTER_BUCKETS[#COUNTER_BUCKETS]
  for _, edge in ipairs(COUNTER_BUCKETS) do
    if seconds <= edge then bucket = 'le_' .. edge break end
  end
  redis.call('HINCRBY', stats, measure .. ':' .. bucket, 1)
end

-- stats: the day's hash; expire_at: when it goes (Unix seconds); handoff: the handoff's hash;
-- state: queued | active; how: closed | released | left; now: ms; categories: comma-separated
-- wrap-up ids (or ''); outcome: a wrap-up id (or '').
local function count_ending(stats, expire_at, handoff, state, how, now, categories, outcome)
  local h = redis.call('HMGET', handoff, 'lang', 'channel', 'risk', 'queued_at', 'claimed_at')
  redis.call('HINCRBY', stats, 'ended', 1)
  redis.call('HINCRBY', stats, 'how:' .. counter_word(how), 1)
  redis.call('HINCRBY', stats, 'lang:' .. counter_word(h[1]), 1)
  redis.call('HINCRBY', stats, 'channel:' .. counter_word(h[2] or 'widget'), 1)
  if h[3] and h[3] ~= '' then redis.call('HINCRBY', stats, 'risk:' .. counter_word(h[3]), 1) end
  for category in string.gmatch(categories, '[^,]+') do
    redis.call('HINCRBY', stats, 'category:' .. counter_word(category), 1)
  end
  if outcome ~= '' then redis.call('HINCRBY', stats, 'outcome:' .. counter_word(outcome), 1) end
  local now_ms, queued_at = tonumber(now), tonumber(h[4]) or tonumber(now)
  local claimed_at = tonumber(h[5])
  if state == 'active' and claimed_at then
    count_seconds(stats, 'waited', math.floor((claimed_at - queued_at) / 1000))
    count_seconds(stats, 'handled', math.floor((now_ms - claimed_at) / 1000))
  else
    count_seconds(stats, 'waited_unanswered', math.floor((now_ms - queued_at) / 1000))
  end
  redis.call('EXPIREAT', stats, expire_at)
end

-- A lapsed lease (the chat went back to the queue) is counted as an event of the day.
local function count_requeue(stats, expire_at)
  redis.call('HINCRBY', stats, 'requeued', 1)
  redis.call('EXPIREAT', stats, expire_at)
end
