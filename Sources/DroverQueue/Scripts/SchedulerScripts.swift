import DroverRedis

/// The scheduler's scripts (issue 5). Like `QueueScripts`, each is atomic and touches only keys
/// under the `{prefix}` hash tag (KEYS[1]); `JobStore+Scheduler.swift` is their only caller.
///
/// Any number of schedulers may run them at once: promotion moves an id out of `scheduled:Q` in
/// the same script that queues it, so only one caller ever moves it; a periodic tick is fired by
/// the script that first advances that entry's last-fired tick past it.
enum SchedulerScripts {
    private static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: LuaPrelude.source + "\n" + body)
    }

    /// Promotes due jobs of every queue and says when the next one is due.
    /// ARGV: now, limit (most jobs moved by this call).
    /// Returns {moved, next due ms or -1, 1 when more jobs are due now (the limit was reached)}.
    static let promoteDue = script("promote-due", #"""
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local moved, more, next_due = 0, 0, -1
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  if moved < limit then moved = moved + promote(q, now, math.min(1000, limit - moved)) end
  local first = redis.call('ZRANGE', P .. 'scheduled:' .. q, 0, 0, 'WITHSCORES')
  if #first > 0 then
    local due = tonumber(first[2])
    if due <= now then more = 1 end
    if next_due < 0 or due < next_due then next_due = due end
  end
end
return {moved, next_due, more}
"""#)

    /// Fires one tick of a periodic entry, once across all schedulers: the entry's last-fired
    /// tick (`periodic` hash, field = entry name, value `TICK JOB_ID`) only moves forward, and the
    /// job is enqueued by the script that moves it. An empty id only moves the mark (a tick
    /// skipped because it is older than the catch-up window).
    /// ARGV: entry, tick (epoch seconds), id, queue, priority, record, job name.
    /// Returns 1 when this call fired (or skipped) the tick, 0 when the tick was already done.
    static let fireTick = script("fire-tick", #"""
local entry, tick, id = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local marks = P .. 'periodic'
local last = redis.call('HGET', marks, entry)
if last and tonumber(string.match(last, '^(%S+)')) >= tick then return 0 end
redis.call('HSET', marks, entry, tick .. ' ' .. id)
if id == '' then return 1 end
if redis.call('HEXISTS', P .. 'jobs', id) == 1 or redis.call('EXISTS', P .. 'job:' .. id) == 1 then return 0 end
local q, pri = ARGV[4], tonumber(ARGV[5])
redis.call('HSET', P .. 'jobs', id, ARGV[6])
push(q, pri, {id}, false)
redis.call('SADD', P .. 'queues', q)
stat(q, 'enqueued', 1)
redis.call('HINCRBY', P .. 'metrics:' .. q, 'enqueued ' .. ARGV[7], 1)
signal(q, 1)
return 1
"""#)

    /// The last-fired tick of every periodic entry: a flat array of entry, `TICK JOB_ID`.
    static let periodicMarks = script("periodic-marks", #"""
return redis.call('HGETALL', P .. 'periodic')
"""#)

    /// Retention: drops ended jobs whose time is up from the `finished`, `failed` and `canceled`
    /// registries of every queue, with what is left of them. A job in its own hash expires by its
    /// own TTL, so its id goes once the hash is gone; a finished plain run lives as fields of
    /// `jobs` and `done` with no TTL of its own, so those fields go once its result TTL has
    /// passed. The hot path trims a registry now and then (`trim`), but only while jobs keep
    /// finishing in that queue: this sweep is what empties a queue that went quiet.
    ///
    /// Looks at the oldest `budget` ids of each registry per call (ids are ordered by end time,
    /// so with one TTL per registry the expired ones are the oldest). Ids behind a longer-lived
    /// one wait for a later sweep; the registry's count cap bounds them meanwhile.
    /// ARGV: now, budget. Returns how many ids were dropped.
    static let sweep = script("sweep", #"""
local now, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
local dropped = 0
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  for _, state in ipairs({'finished', 'failed', 'canceled'}) do
    local registry = P .. state .. ':' .. q
    local entries = redis.call('ZRANGE', registry, 0, budget - 1, 'WITHSCORES')
    local gone, plain = expired(registry, entries, now)
    drop(registry, gone, plain)
    dropped = dropped + #gone
  end
end
return dropped
"""#)

    /// Every script, for loading up front.
    static let all: [RedisScript] = [promoteDue, fireTick, periodicMarks, sweep]
}
