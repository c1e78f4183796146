import DroverRedis

/// The Lua scripts: one per state change (DESIGN.md "Jobs"), each atomic, each within one hash
/// tag. ARGV layouts are written next to each script; `JobStore` is their only caller.
enum QueueScripts {
    private static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: LuaPrelude.source + "\n" + body)
    }

    /// ARGV: now, n, then n × [id, queue, priority, due(0 = now), unique_key, name, max_attempts,
    /// doc, result_ttl_ms, failure_ttl_ms, args]. Returns a flat array of n × [id, state], where state is
    /// `queued`, `scheduled`, `duplicate` (id is then the live job's) or `exists` (id taken).
    static let enqueue = script("enqueue", #"""
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local seq = redis.call('INCRBY', P .. 'seq', n) - n
local out = {}
local woken = {}
local counted = {}
for j = 0, n - 1 do
  local b = 3 + j * 11
  local id, q, pri, due, uk = ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), ARGV[b + 4]
  local key = P .. 'job:' .. id
  local live = nil
  if uk ~= '' then
    local other = redis.call('GET', P .. 'unique:' .. uk)
    if other then
      local st = redis.call('HGET', P .. 'job:' .. other, 'state')
      if st == 'queued' or st == 'scheduled' or st == 'started' then live = other end
    end
  end
  if live then
    out[#out + 1] = live
    out[#out + 1] = 'duplicate'
  elseif redis.call('EXISTS', key) == 1 then
    out[#out + 1] = id
    out[#out + 1] = 'exists'
  else
    if uk ~= '' then redis.call('SET', P .. 'unique:' .. uk, id) end
    local state = 'queued'
    if due > now then state = 'scheduled' end
    redis.call('HSET', key, 'doc', ARGV[b + 7], 'name', ARGV[b + 5], 'queue', q, 'state', state,
      'priority', pri, 'attempt', 0, 'max_attempts', ARGV[b + 6], 'enqueued_at', now, 'lease', 0,
      'unique_key', uk, 'result_ttl', ARGV[b + 8], 'failure_ttl', ARGV[b + 9], 'args', ARGV[b + 10])
    if state == 'scheduled' then
      redis.call('HSET', key, 'scheduled_for', due)
      redis.call('ZADD', P .. 'scheduled:' .. q, due, id)
    else
      redis.call('ZADD', P .. 'queue:' .. q, score(pri, seq + j), id)
      woken[q] = (woken[q] or 0) + 1
    end
    counted[q] = (counted[q] or 0) + 1
    out[#out + 1] = id
    out[#out + 1] = state
  end
end
for q, count in pairs(counted) do
  redis.call('SADD', P .. 'queues', q)
  stat(q, 'enqueued', count)
end
for q, count in pairs(woken) do signal(q, count) end
return out
"""#)

    /// ARGV: now, lease_ms, worker, n, queues…. Returns a fetched job or nil.
    static let fetch = script("fetch", #"""
local queues = {}
for i = 1, tonumber(ARGV[4]) do queues[i] = ARGV[4 + i] end
return fetch(tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], queues)
"""#)

    /// Ends a run and, in the same round trip, fetches the next job, so a busy worker costs one
    /// round trip per job.
    /// ARGV: id, lease, now, outcome (finished|failed|retry|canceled), payload, retry_at,
    ///       then fetch: 0|1, lease_ms, worker, n, queues….
    /// Returns {status, next job or false}: status is the outcome written, or `stale` when the
    /// lease was taken over (a late finisher must not overwrite the new run: fencing).
    static let finish = script("finish", #"""
local id, lease, now, outcome = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local key = P .. 'job:' .. id
local f = redis.call('HMGET', key, 'lease', 'state', 'queue', 'cancel')
local status = outcome
if f[2] ~= 'started' or tonumber(f[1]) ~= lease then
  status = 'stale'
  if f[3] then stat(f[3], 'stale', 1) end
else
  if f[4] == '1' and outcome == 'retry' then outcome = 'canceled' end
  settle(id, f[3], now, outcome, ARGV[5], tonumber(ARGV[6]))
  status = outcome
end
local next = false
if ARGV[7] == '1' then
  local queues = {}
  for i = 1, tonumber(ARGV[10]) do queues[i] = ARGV[10 + i] end
  next = fetch(now, tonumber(ARGV[8]), ARGV[9], queues)
end
return {status, next}
"""#)

    /// A lost run (its child died, or its lease expired): back to queued at the front of its
    /// priority, or failed when its attempts are spent, or canceled when a cancel was asked for.
    /// ARGV: id, lease (or -1 for any lease), now, error. Returns the new state or `stale`.
    static let recover = script("recover", #"""
local id, lease, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local key = P .. 'job:' .. id
local f = redis.call('HMGET', key, 'lease', 'state', 'queue', 'cancel', 'attempt', 'max_attempts')
if f[2] ~= 'started' or (lease >= 0 and tonumber(f[1]) ~= lease) then return 'stale' end
local q = f[3]
stat(q, 'lost', 1)
local outcome = 'requeue'
if f[4] == '1' then outcome = 'canceled'
elseif tonumber(f[5]) >= tonumber(f[6]) then outcome = 'failed' end
settle(id, q, now, outcome, ARGV[4], 0)
if outcome == 'requeue' then return 'queued' end
return outcome
"""#)

    /// Recovers runs whose lease expired (their host is gone). ARGV: now, error, limit.
    /// Returns the ids recovered.
    static let recoverExpired = script("recover-expired", #"""
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[3])
local done = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  local expired = redis.call('ZRANGEBYSCORE', P .. 'started:' .. q, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do
    local key = P .. 'job:' .. id
    local f = redis.call('HMGET', key, 'state', 'cancel', 'attempt', 'max_attempts')
    if f[1] ~= 'started' then
      redis.call('ZREM', P .. 'started:' .. q, id)
    else
      stat(q, 'lost', 1)
      local outcome = 'requeue'
      if f[2] == '1' then outcome = 'canceled'
      elseif tonumber(f[3]) >= tonumber(f[4]) then outcome = 'failed' end
      settle(id, q, now, outcome, ARGV[2], 0)
      done[#done + 1] = id
    end
  end
end
return done
"""#)

    /// Renews a running job's lease. ARGV: id, lease, deadline. Returns 1 when a cancel was
    /// asked for, 0 when not, -1 when the run lost its lease (fenced off).
    static let renew = script("renew", #"""
local key = P .. 'job:' .. ARGV[1]
local f = redis.call('HMGET', key, 'lease', 'state', 'queue', 'cancel')
if f[2] ~= 'started' or tonumber(f[1]) ~= tonumber(ARGV[2]) then return -1 end
redis.call('ZADD', P .. 'started:' .. f[3], 'XX', tonumber(ARGV[3]), ARGV[1])
if f[4] == '1' then return 1 end
return 0
"""#)

    /// Records progress. ARGV: id, lease, percent, note. Returns 1, or -1 when fenced off.
    static let progress = script("progress", #"""
local key = P .. 'job:' .. ARGV[1]
local f = redis.call('HMGET', key, 'lease', 'state')
if f[2] ~= 'started' or tonumber(f[1]) ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', key, 'progress', ARGV[3], 'progress_note', ARGV[4])
return 1
"""#)

    /// Cancels a job. ARGV: id, now, error. Returns `canceled`, `requested` (it is running: the
    /// worker sees it at its next lease renewal), `missing`, or `ended:STATE` for a job that ended.
    static let cancel = script("cancel", #"""
local id, now = ARGV[1], tonumber(ARGV[2])
local key = P .. 'job:' .. id
local f = redis.call('HMGET', key, 'state', 'queue')
if not f[1] then return 'missing' end
local q = f[2]
if f[1] == 'queued' or f[1] == 'scheduled' then
  redis.call('ZREM', P .. 'queue:' .. q, id)
  redis.call('ZREM', P .. 'scheduled:' .. q, id)
  settle(id, q, now, 'canceled', ARGV[3], 0)
  return 'canceled'
end
if f[1] == 'started' then
  redis.call('HSET', key, 'cancel', '1')
  redis.call('PUBLISH', P .. 'cancel', id)
  return 'requested'
end
return 'ended:' .. f[1]
"""#)

    /// Puts a failed or canceled job back in its queue with fresh attempts. ARGV: id, now.
    /// Returns `queued`, `missing`, `duplicate` (its unique key is live again), or the state
    /// that refused it.
    static let requeue = script("requeue", #"""
local id, now = ARGV[1], tonumber(ARGV[2])
local key = P .. 'job:' .. id
local f = redis.call('HMGET', key, 'state', 'queue', 'unique_key')
if not f[1] then return 'missing' end
if f[1] ~= 'failed' and f[1] ~= 'canceled' then return f[1] end
local q = f[2]
if f[3] and f[3] ~= '' then
  local other = redis.call('GET', P .. 'unique:' .. f[3])
  if other and other ~= id then
    local st = redis.call('HGET', P .. 'job:' .. other, 'state')
    if st == 'queued' or st == 'scheduled' or st == 'started' then return 'duplicate' end
  end
  redis.call('SET', P .. 'unique:' .. f[3], id)
end
redis.call('ZREM', P .. f[1] .. ':' .. q, id)
redis.call('PERSIST', key)
redis.call('HSET', key, 'attempt', 0)
redis.call('HDEL', key, 'cancel', 'ended_at', 'started_at', 'progress', 'progress_note')
enqueue_existing(id, q, now, false)
stat(q, 'requeued', 1)
return 'queued'
"""#)

    /// Lists up to ARGV[2] ids of registry ARGV[1] (e.g. `failed:default`), oldest first.
    static let registryPage = script("registry-page", #"""
return redis.call('ZRANGE', P .. ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
"""#)

    /// Deletes a job that is not running. ARGV: id. Returns `deleted`, `missing` or `started`.
    static let delete = script("delete", #"""
local id = ARGV[1]
local key = P .. 'job:' .. id
local f = redis.call('HMGET', key, 'state', 'queue')
if not f[1] then return 'missing' end
if f[1] == 'started' then return 'started' end
local q = f[2]
for _, r in ipairs({'queue:', 'scheduled:', 'finished:', 'failed:', 'canceled:'}) do
  redis.call('ZREM', P .. r .. q, id)
end
release_unique(key, id)
redis.call('DEL', key)
return 'deleted'
"""#)

    /// Removes up to ARGV[2] queued jobs of queue ARGV[1]. Returns how many were removed.
    static let empty = script("empty", #"""
local q, limit = ARGV[1], tonumber(ARGV[2])
local popped = redis.call('ZPOPMIN', P .. 'queue:' .. q, limit)
local n = 0
for i = 1, #popped, 2 do
  local key = P .. 'job:' .. popped[i]
  release_unique(key, popped[i])
  redis.call('DEL', key)
  n = n + 1
end
if n > 0 then stat(q, 'emptied', n) end
return n
"""#)

    /// Counts per queue: {name, queued, scheduled, started, finished, failed, canceled,
    /// oldest queued enqueued_at or -1} for every known queue.
    static let info = script("info", #"""
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  local oldest = -1
  local first = redis.call('ZRANGE', P .. 'queue:' .. q, 0, 0)
  if first[1] then oldest = tonumber(redis.call('HGET', P .. 'job:' .. first[1], 'enqueued_at')) or -1 end
  out[#out + 1] = {q,
    redis.call('ZCARD', P .. 'queue:' .. q), redis.call('ZCARD', P .. 'scheduled:' .. q),
    redis.call('ZCARD', P .. 'started:' .. q), redis.call('ZCARD', P .. 'finished:' .. q),
    redis.call('ZCARD', P .. 'failed:' .. q), redis.call('ZCARD', P .. 'canceled:' .. q), oldest}
end
return out
"""#)

    /// Every script, for loading up front (before a pipeline, or at start-up).
    static let all: [RedisScript] = [enqueue, fetch, finish, recover, recoverExpired, renew, progress, cancel,
                                     requeue, registryPage, delete, empty, info]
}
