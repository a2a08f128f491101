-- One audit entry from outside the handoff's own steps (sign-ins, views, refusals).
-- KEYS: audit. ARGV: ttl, maxlen, then the entry's field-value pairs.
append_audit(KEYS[1], ARGV[1], ARGV[2], unpack(ARGV, 3))
