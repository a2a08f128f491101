if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'rasa_paused', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
