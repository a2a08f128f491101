-- Read a session, check its token and count the request against its limits, in one round trip.
-- KEYS: session, then one key per limit, in the order they are counted. ARGV: the token's
-- SHA-256 (hex), now (s), then limit, window (s) per limit key.
-- Returns {0} when the session is unknown or expired, {-1} when the token does not match (nothing
-- counted either way), else {1, retry, refused, fields}: retry 0 when every limit counted the
-- request, else the seconds to wait and the number of the limit that refused it (later limits are
-- not counted: one session typing too fast must not use up the allowance of others sharing its
-- address), and the session's fields as HGETALL gives them.
-- The hashes are compared with `==`: a comparison's time could at most tell how much of the
-- stored hash an attacker's guess shares, which says nothing about the token itself.
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {0} end
local stored = ''
for i = 1, #fields, 2 do
  if fields[i] == 'token_hash' then stored = fields[i + 1] end
end
if stored == '' or stored ~= ARGV[1] then return {-1} end
local now = tonumber(ARGV[2])
for i = 2, #KEYS do
  local limit, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local retry = moving_window_hit(KEYS[i], limit, window, now)
  if retry > 0 then return {1, retry, i - 1, fields} end
end
return {1, 0, 0, fields}
