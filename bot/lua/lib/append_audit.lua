-- A Lua function that appends one audit entry and drops the entries older than the audit TTL.
-- The TTL of the whole key is only a backstop: every write renews it, so in a service in use it
-- would never lapse. Age is read from the stream ids, which are Redis's clock (XADD '*'), and the
-- cut-off comes from the id just written: no clock of ours can disagree with it, and the new
-- entry is never trimmed. Exact MINID: trimming a few old entries per write is cheap.
local function append_audit(key, ttl, maxlen, ...)
  local id = redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', ...)
  local written_ms = tonumber(string.match(id, '^(%d+)'))
  local oldest_ms = written_ms - tonumber(ttl) * 1000
  if oldest_ms > 0 then redis.call('XTRIM', key, 'MINID', string.format('%.0f', oldest_ms)) end
  redis.call('EXPIRE', key, ttl)
end
