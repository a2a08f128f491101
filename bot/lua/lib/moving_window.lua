-- A moving-window rate limit on a list of the last hits' times (seconds, newest first): at most
-- `limit` hits in any `window` seconds. A refused hit is not counted, so a client that waits is
-- let in again on time. Returns 0 when the hit is counted, else the whole seconds (at least 1)
-- until one more is allowed.
local function moving_window_hit(key, limit, window, now)
  local oldest = redis.call('LINDEX', key, limit - 1)
  if oldest and tonumber(oldest) > now - window then
    -- Times are kept to 0.1 ms: a hair over a whole second is not one more second.
    return math.max(1, math.ceil(tonumber(oldest) + window - now - 0.001))
  end
  redis.call('LPUSH', key, string.format('%.4f', now))
  redis.call('LTRIM', key, 0, limit - 1)
  redis.call('EXPIRE', key, window)
  return 0
end
