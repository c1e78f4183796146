import DroverRedis

/// The Lua scripts: one per state change (README "Concepts"), each atomic, each within one hash
/// tag. ARGV layouts are written next to each script; `JobStore` is their only caller.
enum QueueScripts {
    private static func script(_ name: String, _ body: String) -> RedisScript {
        RedisScript(name: name, source: LuaPrelude.source + "\n" + body)
    }

    /// The careful enqueue path, for jobs with a unique key, a caller-chosen id or a future run
    /// time (plain jobs take `JobStore`'s MULTI/EXEC fast path), and for every retry after a
    /// lost reply.
    /// ARGV: now, n, mode, then n × [id, queue, priority, due (0 = now), unique_key, record, name].
    /// Returns a flat array of n × [id, state], where state is `queued`, `scheduled`,
    /// `duplicate` (id is then the live job's), or `repeat:STATE` when a job with this id is the
    /// job this call describes (a repeat of an earlier call: nothing is written for it, STATE is
    /// its state now); or, when any id of the call is taken by another job, {id, `exists`} for
    /// the first such id, and nothing is written: a bad request loses nothing and half-writes
    /// nothing. Mode `check` only looks: it returns that {id, `exists`}, or an empty array.
    static let enqueue = script("enqueue", #"""
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
-- What a producer said about a job, all but when: its record's header without the enqueue
-- time, then its document without the creation time (both are times of the call, not of the
-- job: a retry, or a repeated `--in 30s`, has others). The document's last member is its
-- creation time when it has one (`EnqueueRequest.recordParts`).
local function described(q, pri, maxa, rttl, fttl, doc)
  return q .. ' ' .. pri .. ' ' .. maxa .. ' ' .. rttl .. ' ' .. fttl .. '\n'
    .. (string.gsub(doc, ',"created_at":%d+}$', '}'))
end
-- nil when no job has this id; false when another job has it; the job's state when it is the
-- job the record `rec` describes.
local function same_job(id, rec)
  local key = P .. 'job:' .. id
  local stored = nil
  if redis.call('EXISTS', key) == 0 then
    stored = redis.call('HGET', P .. 'jobs', id)
    if not stored then return nil end
  end
  local q, pri, maxa, rttl, fttl, _, doc = parse_record(rec)
  local wanted = described(q, pri, maxa, rttl, fttl, doc)
  if stored then
    local sq, spri, smaxa, srttl, sfttl, _, sdoc = parse_record(stored)
    if not sdoc or described(sq, spri, smaxa, srttl, sfttl, sdoc) ~= wanted then return false end
    if redis.call('HEXISTS', P .. 'running', id) == 1 then return 'started' end
    if redis.call('HEXISTS', P .. 'done', id) == 1 then return 'finished' end
    if redis.call('ZSCORE', P .. 'scheduled:' .. sq, id) then return 'scheduled' end
    return 'queued'
  end
  local f = redis.call('HMGET', key, 'queue', 'priority', 'max_attempts', 'result_ttl', 'failure_ttl', 'doc', 'state')
  if not (f[1] and f[2] and f[3] and f[4] and f[5] and f[6] and f[7]) then return false end
  if described(f[1], tonumber(f[2]), tonumber(f[3]), tonumber(f[4]), tonumber(f[5]), f[6]) ~= wanted then return false end
  return f[7]
end
local repeated = {}
for j = 0, n - 1 do
  local b = 4 + j * 7
  local state = same_job(ARGV[b], ARGV[b + 5])
  if state == false then return {ARGV[b], 'exists'} end
  repeated[j] = state
end
if ARGV[3] == 'check' then return {} end
local out = {}
local woken = {}
local counted = {}
for j = 0, n - 1 do
  local b = 4 + j * 7
  local id, q, pri, due, uk, rec = ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), ARGV[b + 4], ARGV[b + 5]
  local live = nil
  if repeated[j] then
    out[#out + 1] = id
    out[#out + 1] = 'repeat:' .. repeated[j]
  else
    if uk ~= '' then
      local other = redis.call('GET', P .. 'unique:' .. uk)
      if other then
        local st = redis.call('HGET', P .. 'job:' .. other, 'state')
        if st == 'queued' or st == 'scheduled' or st == 'started' or redis.call('HEXISTS', P .. 'jobs', other) == 1 then
          live = other
        end
      end
    end
    if live then
      out[#out + 1] = live
      out[#out + 1] = 'duplicate'
    else
      if uk ~= '' then redis.call('SET', P .. 'unique:' .. uk, id) end
      redis.call('HSET', P .. 'jobs', id, rec)
      local state = 'queued'
      if due > now then
        state = 'scheduled'
        schedule(q, id, due)
      else
        push(q, pri, {id}, false)
        woken[q] = (woken[q] or 0) + 1
      end
      counted[q] = (counted[q] or 0) + 1
      -- By job name, for /metrics (JobMetrics's `metrics:Q`, beside the workers' counts).
      redis.call('HINCRBY', P .. 'metrics:' .. q, 'enqueued ' .. ARGV[b + 6], 1)
      out[#out + 1] = id
      out[#out + 1] = state
    end
  end
end
for q, count in pairs(counted) do
  redis.call('SADD', P .. 'queues', q)
  stat(q, 'enqueued', count)
end
for q, count in pairs(woken) do signal(q, count) end
return out
"""#)

    /// ARGV: now, lease_ms, worker, n, queues…, then m, the `now` of m earlier calls whose
    /// replies were lost (a retry: the run one of them took is handed back, see `adopt`), then
    /// '1' to take no new job (a supervisor getting back a dead child's job).
    /// Returns {id, queue, lease, attempt, doc, max_attempts, run} or nil.
    static let fetch = script("fetch", #"""
local now, lease_ms, worker, n = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local queues = {}
for i = 1, n do queues[i] = ARGV[4 + i] end
-- A call that a retry already stood in for takes nothing (see supersede).
if superseded(now, worker) then return false end
local lost = lost_calls(5 + n)
if #lost > 0 then
  supersede(lost, lease_ms, worker)
  local held = adopt(now, lost, lease_ms, worker, queues)
  if held then return held end
end
if ARGV[6 + n + #lost] == '1' then return false end
idle_fetch = true
return fetch(now, lease_ms, worker, queues)
"""#)

    /// Ends a run and, in the same round trip, fetches the next job, so a busy worker costs one
    /// round trip per job.
    /// ARGV: id, lease, now, outcome (finished|failed|retry|canceled), payload, retry_at,
    ///       run (what its fetch returned to name the run, or '': see `fetch`),
    ///       then fetch: 0|1, lease_ms, worker, n, queues…, then m and the `now` of m earlier
    ///       calls whose replies were lost (as `fetch`).
    /// Returns {status, next job or false, why}: status is the outcome written, or `stale` when
    /// the lease was taken over (a late finisher must not overwrite the new run: fencing), or
    /// when a retry finds the outcome already written by its lost call; `why` tells those two
    /// apart for a stale status: `taken` or `written`.
    ///
    /// A late finish (a partition outlasted the lease, and the run was recovered before its
    /// finish got through) is still accepted while no other run of the job has started since:
    /// the job, recovered to queued, scheduled or failed, comes back out of that state and ends
    /// as this run says. Only an outcome of the run's own work is taken so (`finished` or
    /// `failed`): an interrupted run's retry leaves the recovery's decision in place.
    static let finish = script("finish", #"""
local id, lease, now, outcome = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local key = P .. 'job:' .. id
local status = nil
local run = redis.call('HGET', P .. 'running', id)
if run then
  local run_lease, q, rttl, unique, started, worker = string.match(run, '^(%d+) (%S+) (%S+) (%d) (%S+) (%S+)')
  -- A first run's lease is always 1, so the lease alone cannot tell this run from the first run
  -- of a later job that reused the id (a caller-chosen id, after the old job was deleted). The
  -- run record can: the worker hands back the one its fetch returned (worker name and start
  -- time in it), and a different record means another run owns the job.
  if tonumber(run_lease) ~= lease or (ARGV[7] ~= '' and ARGV[7] ~= run) then
    status = 'stale'
    stat(q, 'stale', 1)
  elseif outcome == 'finished' and unique == '0' then
    -- The common case stays in the fast home: a few field writes, no new key.
    redis.call('HDEL', P .. 'running', id)
    redis.call('ZREM', P .. 'started:' .. q, id)
    stat(q, 'finished', 1)
    rttl = tonumber(rttl)
    if rttl <= 0 then
      redis.call('HDEL', P .. 'jobs', id)
    else
      local registry = P .. 'finished:' .. q
      redis.call('HSET', P .. 'done', id, ARGV[3] .. ' ' .. started .. ' ' .. worker .. ' ' .. ARGV[5])
      redis.call('ZADD', registry, ARGV[3], id)
      if now % 16 == 0 then trim(registry, now, rttl) end
    end
    status = 'finished'
  else
    materialize(id)
  end
end
local f = {}
if not status then
  f = redis.call('HMGET', key, 'lease', 'state', 'queue', 'cancel', 'started_at', 'worker', 'recovered')
end
local held_start, held_worker = held_run(ARGV[7])
-- Whether this run is still the job's latest: every fetch bumps the lease and names its own
-- start and worker (a later job that reused the id has other ones).
local latest = not status and tonumber(f[1]) == lease
  and not (held_start and (held_start ~= f[5] or held_worker ~= f[6]))
local why = 'taken'
if status then
  -- written above
elseif latest and f[2] == 'started' then
  if f[4] == '1' and outcome == 'retry' then outcome = 'canceled' end
  settle(id, f[3], now, outcome, ARGV[5], tonumber(ARGV[6]))
  status = outcome
elseif latest and f[7] == f[1] and (outcome == 'finished' or outcome == 'failed')
    and not (outcome == 'failed' and string.find(ARGV[5], '"type":"LeaseLost"', 1, true))
    and (f[2] == 'queued' or f[2] == 'scheduled' or f[2] == 'failed') then
  -- (A LeaseLost failure is the stop, not the run's own work: the recovery's decision stands.)
  -- Recovered (its lease ran out while its finish could not get through) and not fetched
  -- again: the run's own outcome replaces the recovery's.
  local q = f[3]
  if f[2] == 'queued' then
    unqueue(q, id)
  elseif f[2] == 'scheduled' then
    redis.call('ZREM', P .. 'scheduled:' .. q, id)
    stat(q, 'retried', -1)
  else
    redis.call('ZREM', P .. 'failed:' .. q, id)
    redis.call('PERSIST', key)
    stat(q, 'failed', -1)
  end
  stat(q, 'lost', -1)
  redis.call('HDEL', key, 'recovered', 'error', 'scheduled_for')
  settle(id, q, now, outcome, ARGV[5], tonumber(ARGV[6]))
  status = outcome
else
  -- Another run owns the job (a newer lease, or a run of a later job that reused this id),
  -- recovery ended it, or this run's outcome is written already (a retry after a lost reply).
  status = 'stale'
  if f[3] then stat(f[3], 'stale', 1) end
  if latest and f[7] ~= f[1] then
    why = 'written'
  elseif not f[2] and held_start then
    local done = redis.call('HGET', P .. 'done', id)
    if done then
      local s, w = string.match(done, '^%S+ (%S+) (%S+)')
      if s == held_start and w == held_worker then why = 'written' end
    end
  end
end
local next = false
if ARGV[8] == '1' then
  local n = tonumber(ARGV[11])
  local queues = {}
  for i = 1, n do queues[i] = ARGV[11 + i] end
  local lease_ms, worker = tonumber(ARGV[9]), ARGV[10]
  local lost = lost_calls(12 + n)
  local late = false
  if #lost > 0 then
    -- A retry: a later retry may have stood in for this one already (see supersede).
    late = superseded(now, worker)
    if not late then
      supersede(lost, lease_ms, worker)
      next = adopt(now, lost, lease_ms, worker, queues)
    end
  end
  -- A stale finish that is no retry takes no job: it may be a lost call delivered after its
  -- retry, and a job it took would wait out its lease.
  if not next and not late and (status ~= 'stale' or #lost > 0) then
    next = fetch(now, lease_ms, worker, queues)
  end
end
return {status, next, why}
"""#)

    /// Gives back a job that was fetched but never started (a stop came between the fetch that
    /// took it, chained to the previous job's finish, and its start): to the front of its
    /// priority level, as if it had not been taken, so no attempt is counted.
    /// ARGV: id, lease, run (as `finish`), now. Returns `released`, `canceled` (a cancel was
    /// asked for meanwhile) or `stale`.
    static let release = script("release", #"""
local id, lease, given = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local key = P .. 'job:' .. id
local run = redis.call('HGET', P .. 'running', id)
if run then
  local q = string.match(run, '^%d+ (%S+) ')
  if lease ~= 1 or (given ~= '' and given ~= run) then return 'stale' end
  -- A first run: the job goes back to its fast home untouched.
  redis.call('HDEL', P .. 'running', id)
  redis.call('ZREM', P .. 'started:' .. q, id)
  push(q, priority_of(id), {id}, true)
  signal(q, 1)
  return 'released'
end
local f = redis.call('HMGET', key, 'lease', 'state', 'queue', 'started_at', 'worker', 'cancel')
local held_start, held_worker = held_run(given)
if f[2] ~= 'started' or tonumber(f[1]) ~= lease or (held_start and (held_start ~= f[4] or held_worker ~= f[5])) then
  return 'stale'
end
if f[6] == '1' then
  -- A cancel was asked for while it waited: it ends canceled, as `recover` would end it.
  settle(id, f[3], tonumber(ARGV[4]), 'canceled', '{"type":"Canceled","message":"canceled before it started"}', 0)
  return 'canceled'
end
redis.call('HINCRBY', key, 'attempt', -1)
redis.call('HDEL', key, 'started_at', 'worker')
redis.call('ZREM', P .. 'started:' .. f[3], id)
enqueue_existing(id, f[3], redis.call('HGET', key, 'enqueued_at') or ARGV[4], true)
return 'released'
"""#)

    /// A lost run (its child died, or its lease expired): back to queued at the front of its
    /// priority (or, given a retry time, scheduled then: a run killed at its hard time limit is
    /// retried per its backoff), or failed when its attempts are spent, or canceled when a
    /// cancel was asked for.
    /// ARGV: id, lease (or -1 for any lease), now, error, retry_at (optional: 0 = at once, -1 =
    /// no retry, a handler's policy allows no more attempts).
    /// Returns the new state or `stale`.
    static let recover = script("recover", #"""
local id, lease, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local key = P .. 'job:' .. id
materialize(id)
local f = redis.call('HMGET', key, 'lease', 'state', 'queue', 'cancel', 'attempt', 'max_attempts')
if f[2] ~= 'started' or (lease >= 0 and tonumber(f[1]) ~= lease) then return 'stale' end
local q = f[3]
stat(q, 'lost', 1)
local retry_at = tonumber(ARGV[5] or '0')
local outcome = 'requeue'
if f[4] == '1' then outcome = 'canceled'
elseif tonumber(f[5]) >= tonumber(f[6]) or retry_at < 0 then outcome = 'failed'
elseif retry_at > 0 then outcome = 'retry' end
settle(id, q, now, outcome, ARGV[4], math.max(retry_at, 0))
mark_recovered(key, f[1])
if outcome == 'requeue' then return 'queued' end
if outcome == 'retry' then return 'scheduled' end
return outcome
"""#)

    /// Recovers runs whose lease expired (their host is gone) before `cutoff` (now less
    /// `LeaseTiming.recoveryGrace`). ARGV: now, error, limit, cutoff. Returns the ids recovered.
    static let recoverExpired = script("recover-expired", #"""
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[3])
local cutoff = tonumber(ARGV[4] or ARGV[1])
local done = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  local expired = redis.call('ZRANGEBYSCORE', P .. 'started:' .. q, '-inf', int(cutoff), 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do
    local key = P .. 'job:' .. id
    materialize(id)
    local f = redis.call('HMGET', key, 'state', 'cancel', 'attempt', 'max_attempts', 'lease')
    if f[1] ~= 'started' then
      redis.call('ZREM', P .. 'started:' .. q, id)
    else
      stat(q, 'lost', 1)
      local outcome = 'requeue'
      if f[2] == '1' then outcome = 'canceled'
      elseif tonumber(f[3]) >= tonumber(f[4]) then outcome = 'failed' end
      settle(id, q, now, outcome, ARGV[2], 0)
      mark_recovered(key, f[5])
      done[#done + 1] = id
    end
  end
end
return done
"""#)

    /// Renews a running job's lease. ARGV: id, lease, deadline, run (what its fetch returned to
    /// name the run, or '': see `finish`). Returns 1 when a cancel was asked for, 0 when not, -1
    /// when the run lost its lease or is not this run (fenced off).
    static let renew = script("renew", #"""
local key = P .. 'job:' .. ARGV[1]
local given = ARGV[4] or ''
local run = redis.call('HGET', P .. 'running', ARGV[1])
if run then
  local run_lease, q = string.match(run, '^(%d+) (%S+)')
  if tonumber(run_lease) ~= tonumber(ARGV[2]) or (given ~= '' and given ~= run) then return -1 end
  redis.call('ZADD', P .. 'started:' .. q, 'XX', tonumber(ARGV[3]), ARGV[1])
  return 0
end
local f = redis.call('HMGET', key, 'lease', 'state', 'queue', 'cancel', 'started_at', 'worker')
local held_start, held_worker = held_run(given)
if f[2] ~= 'started' or tonumber(f[1]) ~= tonumber(ARGV[2])
    or (held_start and (held_start ~= f[5] or held_worker ~= f[6])) then
  return -1
end
redis.call('ZADD', P .. 'started:' .. f[3], 'XX', tonumber(ARGV[3]), ARGV[1])
if f[4] == '1' then return 1 end
return 0
"""#)

    /// Records progress. ARGV: id, lease, percent, note, run (as `renew`). Returns 1, or -1
    /// when fenced off.
    static let progress = script("progress", #"""
local key = P .. 'job:' .. ARGV[1]
local given = ARGV[5] or ''
local run = redis.call('HGET', P .. 'running', ARGV[1])
-- A run that is not this one is left in its fast home (progress would move it to its hash).
if run and given ~= '' and given ~= run then return -1 end
materialize(ARGV[1])
local f = redis.call('HMGET', key, 'lease', 'state', 'started_at', 'worker')
local held_start, held_worker = held_run(given)
if f[2] ~= 'started' or tonumber(f[1]) ~= tonumber(ARGV[2])
    or (held_start and (held_start ~= f[3] or held_worker ~= f[4])) then
  return -1
end
redis.call('HSET', key, 'progress', ARGV[3], 'progress_note', ARGV[4])
return 1
"""#)

    /// Cancels a job. ARGV: id, now, error. Returns `canceled`, `requested` (it is running: the
    /// worker sees it at its next lease renewal), `missing`, or `ended:STATE` for a job that ended.
    static let cancel = script("cancel", #"""
local id, now = ARGV[1], tonumber(ARGV[2])
local key = P .. 'job:' .. id
if not materialize(id) then return 'missing' end
local f = redis.call('HMGET', key, 'state', 'queue')
-- A finished plain run whose result TTL has passed (the sweep has not dropped it yet) expires
-- the moment it is materialized.
if not f[1] then return 'missing' end
local q = f[2]
if f[1] == 'queued' or f[1] == 'scheduled' then
  if redis.call('ZREM', P .. 'scheduled:' .. q, id) == 0 then unqueue(q, id) end
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
    /// Returns `queued`, `missing`, `duplicate` (its unique key is live again), or
    /// `refused:STATE` for a job in another state.
    static let requeue = script("requeue", #"""
local id, now = ARGV[1], tonumber(ARGV[2])
local key = P .. 'job:' .. id
if redis.call('EXISTS', key) == 0 then
  local rec = redis.call('HGET', P .. 'jobs', id)
  if not rec then return 'missing' end
  local q = parse_record(rec)
  if redis.call('HEXISTS', P .. 'running', id) == 1 then return 'refused:started' end
  if redis.call('HEXISTS', P .. 'done', id) == 1 then return 'refused:finished' end
  if redis.call('ZSCORE', P .. 'scheduled:' .. q, id) then return 'refused:scheduled' end
  return 'refused:queued'
end
local f = redis.call('HMGET', key, 'state', 'queue', 'unique_key')
if f[1] ~= 'failed' and f[1] ~= 'canceled' then return 'refused:' .. f[1] end
local q = f[2]
if f[3] and f[3] ~= '' then
  local other = redis.call('GET', P .. 'unique:' .. f[3])
  if other and other ~= id then
    local st = redis.call('HGET', P .. 'job:' .. other, 'state')
    if st == 'queued' or st == 'scheduled' or st == 'started' or redis.call('HEXISTS', P .. 'jobs', other) == 1 then
      return 'duplicate'
    end
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

    /// Lists ids ARGV[2]...ARGV[3] of registry ARGV[1] (e.g. `failed:default`), oldest first;
    /// for `queue:Q`, in the order a fetch takes them (its priority lists, highest first).
    static let registryPage = script("registry-page", #"""
local name, first, last = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if string.sub(name, 1, 6) ~= 'queue:' then return redis.call('ZRANGE', P .. name, first, last) end
local q = string.sub(name, 7)
local out, skip, want = {}, first, last - first + 1
for _, pri in ipairs(redis.call('ZRANGE', P .. 'prio:' .. q, 0, -1)) do
  local list = P .. 'queue:' .. q .. ':' .. pri
  local len = redis.call('LLEN', list)
  if skip >= len then
    skip = skip - len
  else
    for _, id in ipairs(redis.call('LRANGE', list, skip, skip + want - #out - 1)) do out[#out + 1] = id end
    skip = 0
    if #out >= want then break end
  end
end
return out
"""#)

    /// Deletes a job that is not running. ARGV: id. Returns `deleted`, `missing` or `started`.
    static let delete = script("delete", #"""
local id = ARGV[1]
local key = P .. 'job:' .. id
if redis.call('HEXISTS', P .. 'running', id) == 1 then return 'started' end
materialize(id)
local f = redis.call('HMGET', key, 'state', 'queue')
if not f[1] then return 'missing' end
if f[1] == 'started' then return 'started' end
local q = f[2]
if f[1] == 'queued' then unqueue(q, id) end
for _, r in ipairs({'scheduled:', 'finished:', 'failed:', 'canceled:'}) do
  redis.call('ZREM', P .. r .. q, id)
end
release_unique(key, id)
redis.call('DEL', key)
return 'deleted'
"""#)

    /// Removes up to ARGV[2] queued jobs of queue ARGV[1]. Returns how many were removed.
    static let empty = script("empty", #"""
local q, limit = ARGV[1], tonumber(ARGV[2])
local n = 0
local prio = P .. 'prio:' .. q
for _, pri in ipairs(redis.call('ZRANGE', prio, 0, -1)) do
  local list = P .. 'queue:' .. q .. ':' .. pri
  local ids = redis.call('LPOP', list, limit - n)
  if ids then
    for _, id in ipairs(ids) do
      local key = P .. 'job:' .. id
      local rec = redis.call('HGET', P .. 'jobs', id)
      if rec then
        if string.find(rec, '"unique_key"', 1, true) then
          local _, _, _, _, _, _, doc = parse_record(rec)
          local uk = cjson.decode(doc).unique_key
          if uk and redis.call('GET', P .. 'unique:' .. uk) == id then redis.call('DEL', P .. 'unique:' .. uk) end
        end
        redis.call('HDEL', P .. 'jobs', id)
      else
        release_unique(key, id)
        redis.call('DEL', key)
      end
      n = n + 1
    end
  end
  if redis.call('LLEN', list) == 0 then redis.call('ZREM', prio, pri) end
  if n >= limit then break end
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
  local levels = redis.call('ZRANGE', P .. 'prio:' .. q, 0, -1)
  for _, pri in ipairs(levels) do
    local first = redis.call('LINDEX', P .. 'queue:' .. q .. ':' .. pri, 0)
    if first then
      local enq = redis.call('HGET', P .. 'job:' .. first, 'enqueued_at')
      if not enq then
        local rec = redis.call('HGET', P .. 'jobs', first)
        if rec then
          local _, _, _, _, _, e = parse_record(rec)
          enq = e
        end
      end
      enq = tonumber(enq)
      if enq and (oldest < 0 or enq < oldest) then oldest = enq end
    end
  end
  out[#out + 1] = {q, queued_count(q), redis.call('ZCARD', P .. 'scheduled:' .. q),
    redis.call('ZCARD', P .. 'started:' .. q), redis.call('ZCARD', P .. 'finished:' .. q),
    redis.call('ZCARD', P .. 'failed:' .. q), redis.call('ZCARD', P .. 'canceled:' .. q), oldest}
end
return out
"""#)

    /// Reads a job: {'hash', field, value, …} for a job with its own hash, or
    /// {'record', record, scheduled_for, running, done} (each false when absent) for one in its
    /// fast home, or false.
    static let read = script("read", #"""
local id = ARGV[1]
local fields = redis.call('HGETALL', P .. 'job:' .. id)
if #fields > 0 then
  table.insert(fields, 1, 'hash')
  return fields
end
local rec = redis.call('HGET', P .. 'jobs', id)
if not rec then return false end
local q = parse_record(rec)
local due = redis.call('ZSCORE', P .. 'scheduled:' .. q, id)
return {'record', rec, due, redis.call('HGET', P .. 'running', id), redis.call('HGET', P .. 'done', id)}
"""#)

    /// Every script, for loading up front (before a pipeline, or at start-up).
    static let all: [RedisScript] = [enqueue, fetch, finish, release, recover, recoverExpired, renew, progress, cancel,
                                     requeue, registryPage, delete, empty, info, read]
}
