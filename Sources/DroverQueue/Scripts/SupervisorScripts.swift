import DroverRedis

/// Scripts for the supervisor registry (see `SupervisorRecord`): small and free of the job
/// prelude, since a master runs `publish` once a second. KEYS[1] is the prefix, as everywhere.
enum SupervisorScripts {
    /// Writes a master's record, adds its counter increments, and takes its pending control
    /// commands, in one round trip.
    /// ARGV: id, record JSON, now (ms), n, then n × [counter field, increment].
    /// Returns the control commands (JSON strings), oldest first.
    static let publish = RedisScript(name: "publish", source: #"""
local P = KEYS[1]
local id = ARGV[1]
redis.call('HSET', P .. 'supervisors', id, ARGV[2])
redis.call('ZADD', P .. 'supervisors:seen', tonumber(ARGV[3]), id)
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  redis.call('HINCRBY', P .. 'counters', ARGV[5 + i * 2], tonumber(ARGV[6 + i * 2]))
end
local key = P .. 'control:' .. id
local commands = redis.call('LRANGE', key, 0, -1)
if #commands > 0 then redis.call('DEL', key) end
return commands
"""#)

    /// Removes supervisors: one by id (a clean exit), or every one not seen since a time.
    /// ARGV: id or '', and the oldest heartbeat (ms) to keep ('' when removing by id).
    /// Returns how many records were removed.
    static let remove = RedisScript(name: "remove-supervisors", source: #"""
local P = KEYS[1]
local ids
if ARGV[1] ~= '' then
  ids = { ARGV[1] }
else
  ids = redis.call('ZRANGEBYSCORE', P .. 'supervisors:seen', '-inf', '(' .. ARGV[2])
end
local removed = 0
for _, id in ipairs(ids) do
  removed = removed + redis.call('HDEL', P .. 'supervisors', id)
  redis.call('ZREM', P .. 'supervisors:seen', id)
  redis.call('DEL', P .. 'control:' .. id)
end
return removed
"""#)

    /// Queues a control command for a supervisor, if it is registered.
    /// ARGV: id, command JSON. Returns 1, or 0 when no such supervisor is registered.
    static let send = RedisScript(name: "send-control", source: #"""
local P = KEYS[1]
if redis.call('HEXISTS', P .. 'supervisors', ARGV[1]) == 0 then return 0 end
local key = P .. 'control:' .. ARGV[1]
redis.call('RPUSH', key, ARGV[2])
-- A master that never comes back must not leave its commands forever.
redis.call('EXPIRE', key, 3600)
return 1
"""#)
}
