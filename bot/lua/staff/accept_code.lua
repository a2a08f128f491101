-- Accept a TOTP step once, atomically, and count wrong codes for the name. KEYS: account,
-- failures. ARGV: matched step (-1: none), max failures, window seconds. The window starts with
-- the first failure and is never extended; the TTL check (not EXPIRE NX) works on Redis 6.2 too.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'wrong', 0} end
local failures = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures >= tonumber(ARGV[2]) then return {'throttled', redis.call('TTL', KEYS[2])} end
local step = tonumber(ARGV[1])
local last = tonumber(redis.call('HGET', KEYS[1], 'totp_step') or '-1')
if step < 0 or step <= last then
  redis.call('INCR', KEYS[2])
  if redis.call('TTL', KEYS[2]) == -1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
  return {'wrong', 0}
end
redis.call('HSET', KEYS[1], 'totp_step', step)
redis.call('DEL', KEYS[2])
return {'ok', 0}
