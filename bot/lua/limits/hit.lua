-- Count one event against one limit. KEYS: the limit's key. ARGV: limit, window (s), now (s).
-- Returns 0 when counted, else the seconds until one more is allowed.
return moving_window_hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
