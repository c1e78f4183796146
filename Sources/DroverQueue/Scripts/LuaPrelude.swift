/// Lua functions shared by several scripts. Every script gets the key prefix (which carries the
/// hash tag, e.g. `{drover}:`) as KEYS[1] and builds its keys from it, so every key a script
/// touches lives in one Redis Cluster slot.
///
/// Storage (see `Keyspace`): a job that has never run is one field of the `jobs` hash (its
/// "record": a header line `QUEUE PRIORITY MAX_ATTEMPTS RESULT_TTL FAILURE_TTL ENQUEUED_AT`, then
/// its JSON document) plus its id in a queue list or the scheduled set. A new key per job costs
/// Redis several times what a hash field does (docs/internals.md, "The store"), and enqueue
/// speed is a headline figure. When a job is first fetched (or canceled), its record moves into its own `job:ID`
/// hash, which holds its run state and gets its own TTL when it ends.
///
/// Queues are lists, one per priority level (`queue:Q:PRI`), with the levels in use in the sorted
/// set `prio:Q` (score -PRI): the highest level is popped first, FIFO within a level, and a
/// recovered job is pushed back at the front of its level.
enum LuaPrelude {
    static let source = #"""
local P = KEYS[1]
-- Set by a fetch that follows an idle wait (see fetch).
local idle_fetch = false
local SIGNAL_CAP = 64
local REGISTRY_CAP = 100000

-- Split a record into its header fields and JSON document.
local function parse_record(rec)
  local q, pri, maxa, rttl, fttl, enq, doc = string.match(rec, '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)\n(.*)$')
  return q, tonumber(pri), tonumber(maxa), tonumber(rttl), tonumber(fttl), tonumber(enq), doc
end

-- Wake up to `count` idle workers of queue q. A token only says "look at q"; a worker that
-- finds q empty loses nothing, and the fetch deletes stale tokens, so the list stays short.
local function signal(q, count)
  local key = P .. 'signal:' .. q
  local room = SIGNAL_CAP - redis.call('LLEN', key)
  local n = math.min(count, room)
  if n > 0 then
    local tokens = {}
    for i = 1, n do tokens[i] = '1' end
    redis.call('LPUSH', key, unpack(tokens))
  end
end

-- Counts are passed to Redis as strings: Lua turns a number into text through printf's "%.14g",
-- which costs about 0.6 µs here, a noticeable part of a job's hot path.
local function stat(q, field, n)
  if n == 1 then n = '1' end
  redis.call('HINCRBY', P .. 'stats:' .. q, field, n)
end

-- An integer as text without the float formatting of `..` and of `redis.call` arguments.
local function int(n)
  return string.format('%d', n)
end

-- Push ids onto priority level `pri` of queue q (front = LPUSH, for a job taken once before).
local function push(q, pri, ids, front)
  redis.call('ZADD', P .. 'prio:' .. q, -pri, pri)
  if front then
    redis.call('LPUSH', P .. 'queue:' .. q .. ':' .. pri, unpack(ids))
  else
    redis.call('RPUSH', P .. 'queue:' .. q .. ':' .. pri, unpack(ids))
  end
end

-- Remove one id from whatever level of queue q holds it (O(N): cancel, delete).
local function unqueue(q, id)
  for _, pri in ipairs(redis.call('ZRANGE', P .. 'prio:' .. q, 0, -1)) do
    if redis.call('LREM', P .. 'queue:' .. q .. ':' .. pri, 1, id) > 0 then return true end
  end
  return false
end

local function queued_count(q)
  local n = 0
  for _, pri in ipairs(redis.call('ZRANGE', P .. 'prio:' .. q, 0, -1)) do
    n = n + redis.call('LLEN', P .. 'queue:' .. q .. ':' .. pri)
  end
  return n
end

-- Keep an ended-jobs registry bounded: by age and by count. Jobs in their hash home expire by
-- their own TTL, and their ids leave the registry once the hash is gone. A finished plain run
-- (fast home: its record in `jobs` and a `done` field) has no TTL of its own and is deleted
-- here. An entry counts as such a run only in a `finished:` registry and when the `done` field
-- ended at the entry's score: a job that reused the id of an expired one owns those fields
-- then, and must not go with the old entry.
local function plain_runs(registry, entries)
  local plain = {}
  if #entries == 0 or string.sub(registry, #P + 1, #P + 9) ~= 'finished:' then return plain end
  local ids = {}
  for i = 1, #entries, 2 do ids[#ids + 1] = entries[i] end
  local done = redis.call('HMGET', P .. 'done', unpack(ids))
  for i, id in ipairs(ids) do
    if done[i] and tonumber(string.match(done[i], '^(%S+)')) == tonumber(entries[2 * i]) then plain[id] = true end
  end
  return plain
end

-- Removes ids from a registry, and the fields of those that are plain runs (see plain_runs).
local function drop(registry, ids, plain)
  if #ids == 0 then return end
  local fast = {}
  for _, id in ipairs(ids) do
    if plain[id] then fast[#fast + 1] = id end
  end
  if #fast > 0 then
    redis.call('HDEL', P .. 'jobs', unpack(fast))
    redis.call('HDEL', P .. 'done', unpack(fast))
  end
  redis.call('ZREM', registry, unpack(ids))
end

-- Of registry entries (id, score, id, score…), those whose own time is up: a plain run once its
-- result TTL (in its record) has passed since it ended, any other once its hash has expired.
local function expired(registry, entries, now)
  local plain = plain_runs(registry, entries)
  local gone = {}
  for i = 1, #entries, 2 do
    local id, ended = entries[i], tonumber(entries[i + 1])
    if plain[id] then
      local rec = redis.call('HGET', P .. 'jobs', id)
      local ttl = 0
      if rec then ttl = tonumber(string.match(rec, '^%S+ %S+ %S+ (%S+)')) or 0 end
      if ended + ttl <= now then gone[#gone + 1] = id end
    elseif redis.call('EXISTS', P .. 'job:' .. id) == 0 then
      gone[#gone + 1] = id
    end
  end
  return gone, plain
end

-- The hot path's trim, after a job ended with result or failure TTL `ttl`: candidates are ids
-- that ended more than `ttl` ago (jobs of one queue may have other TTLs: each goes only once
-- its own time is up), then the count cap.
local function trim(registry, now, ttl)
  local entries = redis.call('ZRANGEBYSCORE', registry, '-inf', '(' .. int(now - ttl), 'WITHSCORES', 'LIMIT', 0, 200)
  local gone, plain = expired(registry, entries, now)
  drop(registry, gone, plain)
  local excess = redis.call('ZCARD', registry) - REGISTRY_CAP
  if excess > 0 then
    local oldest = redis.call('ZRANGE', registry, 0, math.min(excess, 500) - 1, 'WITHSCORES')
    local ids = {}
    for i = 1, #oldest, 2 do ids[#ids + 1] = oldest[i] end
    drop(registry, ids, plain_runs(registry, oldest))
  end
end

local function release_unique(key, id)
  local uk = redis.call('HGET', key, 'unique_key')
  if uk and uk ~= '' and redis.call('GET', P .. 'unique:' .. uk) == id then
    redis.call('DEL', P .. 'unique:' .. uk)
  end
end

-- A job's "fast home" is its record in `jobs`, plus a `running` field while it runs and a `done`
-- field once it finished (a plain first run that succeeds never needs more). Any other
-- transition first moves the job into its own hash `job:ID`: its "hash home".
-- running[id] = 'LEASE QUEUE RESULT_TTL UNIQUE(0|1) STARTED_AT WORKER';
-- done[id] = 'ENDED_AT STARTED_AT WORKER RESULT' (worker names hold no spaces).
-- Returns false when the job does not exist.
local function materialize(id)
  local key = P .. 'job:' .. id
  if redis.call('EXISTS', key) == 1 then return true end
  local rec = redis.call('HGET', P .. 'jobs', id)
  if not rec then return false end
  local q, pri, maxa, rttl, fttl, enq, doc = parse_record(rec)
  local uk = ''
  if string.find(doc, '"unique_key"', 1, true) then uk = cjson.decode(doc).unique_key or '' end
  local fields = {'doc', doc, 'queue', q, 'priority', pri, 'max_attempts', maxa, 'result_ttl', rttl,
    'failure_ttl', fttl, 'enqueued_at', enq, 'unique_key', uk,
    -- Kept apart from enqueued_at, which a retry or a promotion moves on.
    'created_at', string.match(doc, '"created_at":(%d+)') or enq}
  local expire_at = nil
  local run = redis.call('HGET', P .. 'running', id)
  local done = redis.call('HGET', P .. 'done', id)
  if run then
    local started, worker = string.match(run, '^%d+ %S+ %S+ %d (%S+) (.*)$')
    for _, v in ipairs({'state', 'started', 'lease', 1, 'attempt', 1, 'started_at', started, 'worker', worker}) do
      fields[#fields + 1] = v
    end
    redis.call('HDEL', P .. 'running', id)
  elseif done then
    local ended, started, worker, result = string.match(done, '^(%S+) (%S+) (%S+) (.*)$')
    for _, v in ipairs({'state', 'finished', 'lease', 1, 'attempt', 1, 'ended_at', ended, 'started_at', started,
        'worker', worker, 'result', result}) do
      fields[#fields + 1] = v
    end
    expire_at = tonumber(ended) + rttl
    redis.call('HDEL', P .. 'done', id)
  else
    local due = redis.call('ZSCORE', P .. 'scheduled:' .. q, id)
    local state = 'queued'
    if due then state = 'scheduled' end
    for _, v in ipairs({'state', state, 'lease', 0, 'attempt', 0}) do fields[#fields + 1] = v end
    if due then
      fields[#fields + 1] = 'scheduled_for'
      fields[#fields + 1] = due
    end
  end
  redis.call('HSET', key, unpack(fields))
  if expire_at then redis.call('PEXPIREAT', key, expire_at) end
  redis.call('HDEL', P .. 'jobs', id)
  return true
end

-- The priority of a job, from its hash or its record.
local function priority_of(id)
  local pri = redis.call('HGET', P .. 'job:' .. id, 'priority')
  if pri then return tonumber(pri) end
  local rec = redis.call('HGET', P .. 'jobs', id)
  if not rec then return nil end
  local _, p = parse_record(rec)
  return p
end

-- Put a job that has a hash back in its queue (state queued).
local function enqueue_existing(id, q, now, front)
  local key = P .. 'job:' .. id
  local pri = tonumber(redis.call('HGET', key, 'priority')) or 0
  push(q, pri, {id}, front)
  redis.call('HSET', key, 'state', 'queued', 'enqueued_at', now)
  signal(q, 1)
end

-- Put an id in q's scheduled set, and wake a scheduler (issue 5) when it is due before every job
-- already waiting in q: a scheduler sleeps until the earliest due time across queues, so a job no
-- earlier than q's first cannot be earlier than that. The wake list expires, so no key is left
-- behind when no scheduler runs.
local function schedule(q, id, due)
  local sched = P .. 'scheduled:' .. q
  local first = redis.call('ZRANGE', sched, 0, 0, 'WITHSCORES')
  redis.call('ZADD', sched, due, id)
  if #first == 0 or due < tonumber(first[2]) then
    local wake = P .. 'scheduler:wake'
    if redis.call('LLEN', wake) < 8 then
      redis.call('LPUSH', wake, '1')
      redis.call('PEXPIRE', wake, 60000)
    end
  end
end

-- Move due scheduled jobs of q into the queue (at most `limit`, default 1000, per call).
-- Records are read with one HMGET: promotion of many jobs due at once is a headline figure.
local function promote(q, now, limit)
  local sched = P .. 'scheduled:' .. q
  local due = redis.call('ZRANGEBYSCORE', sched, '-inf', int(now), 'LIMIT', 0, limit or 1000)
  if #due == 0 then return 0 end
  local records = redis.call('HMGET', P .. 'jobs', unpack(due))
  local levels = {}
  local moved = 0
  for i, id in ipairs(due) do
    local pri = nil
    if records[i] then
      pri = tonumber(string.match(records[i], '^%S+ (%S+)'))
    else
      local key = P .. 'job:' .. id
      local p = redis.call('HGET', key, 'priority')
      if p then
        pri = tonumber(p)
        redis.call('HSET', key, 'state', 'queued', 'enqueued_at', now)
      end
    end
    if pri then
      levels[pri] = levels[pri] or {}
      table.insert(levels[pri], id)
      moved = moved + 1
    end
  end
  for pri, ids in pairs(levels) do push(q, pri, ids, false) end
  -- The ids read are ranks 0..#due-1 (lowest scores first, from -inf): removing them by rank
  -- costs O(log N + M), where ZREM looks each one up (measured: about 1 ms per 1000 here).
  redis.call('ZREMRANGEBYRANK', sched, 0, #due - 1)
  if moved > 0 then signal(q, moved) end
  return moved
end

-- End a job that was started: the one place that writes a terminal (or retry) state.
-- outcome: finished | failed | retry | canceled | requeue (back to queued, at the front)
local function settle(id, q, now, outcome, payload, retry_at)
  local key = P .. 'job:' .. id
  redis.call('ZREM', P .. 'started:' .. q, id)
  if outcome == 'requeue' then
    enqueue_existing(id, q, now, true)
    return
  end
  if outcome == 'retry' then
    redis.call('HSET', key, 'state', 'scheduled', 'error', payload, 'scheduled_for', retry_at, 'ended_at', now)
    schedule(q, id, retry_at)
    stat(q, 'retried', 1)
    return
  end
  local ttls = redis.call('HMGET', key, 'result_ttl', 'failure_ttl')
  local ttl = tonumber(ttls[1]) or 500000
  if outcome == 'failed' then ttl = tonumber(ttls[2]) or 2592000000 end
  if outcome == 'finished' then
    redis.call('HSET', key, 'state', 'finished', 'ended_at', now, 'result', payload)
  else
    redis.call('HSET', key, 'state', outcome, 'ended_at', now, 'error', payload)
  end
  release_unique(key, id)
  stat(q, outcome, 1)
  if ttl <= 0 then
    redis.call('DEL', key)
    return
  end
  redis.call('PEXPIRE', key, ttl)
  local registry = P .. outcome .. ':' .. q
  redis.call('ZADD', registry, now, id)
  trim(registry, now, ttl)
end

-- A recovered run's lease, kept on the job: its late finish may still be taken while no other
-- run has started (see `finish`). A job deleted by a zero TTL keeps nothing.
local function mark_recovered(key, lease)
  if redis.call('EXISTS', key) == 1 then redis.call('HSET', key, 'recovered', lease) end
end

-- The run a worker says it holds (what its fetch returned), as its start time and worker:
-- from a first run's record (the job may have moved to its hash home since, by a cancel
-- request or progress) or from `STARTED_AT WORKER`. Nil when none was given.
local function held_run(given)
  local start, worker = string.match(given, '^%d+ %S+ %S+ %d (%S+) (%S+)$')
  if not start then start, worker = string.match(given, '^(%S+) (%S+)$') end
  return start, worker
end

-- A worker's call whose reply was lost (a timeout, a dropped connection) may have run, and
-- taken a job for a worker that never saw it. Its retry names each such call by the `now` it
-- sent (`lost`), and gets that run back instead of a second job (see adopt).
--
-- A named call may also still be on its way (a network that delays it): `supersede` marks it,
-- for as long as a lease, so that if it arrives after its retry it takes nothing
-- (`superseded`). A finish that is not a retry needs no mark: arriving late, it finds its
-- outcome written by the retry, and a stale finish takes no job.
local function supersede(lost, lease_ms, worker)
  for _, t in ipairs(lost) do
    redis.call('SET', P .. 'lost:' .. worker .. ':' .. int(tonumber(t)), '1', 'PX', int(math.max(lease_ms, 60000)))
  end
end

local function superseded(now, worker)
  return redis.call('EXISTS', P .. 'lost:' .. worker .. ':' .. int(now)) == 1
end

-- The run one of the `lost` calls started, if it is still this worker's: scored
-- t + lease_ms in `started:Q` for one of those calls' t (the call that took it, or an adopting
-- retry whose reply was lost too), carrying this worker's name and, as its start, one of those
-- calls' t. Its lease is renewed from `now` (atomically: a lease that ran out meanwhile and was
-- not yet recovered is still this run's, and the worker's lease keeper renews only later).
-- Returns what `fetch` returned for it, or false.
local function adopt(now, lost, lease_ms, worker, queues)
  local starts = {}
  for _, t in ipairs(lost) do starts[int(tonumber(t))] = true end
  for _, t in ipairs(lost) do
    local score = int(tonumber(t) + lease_ms)
    for _, q in ipairs(queues) do
      local started = P .. 'started:' .. q
      for _, id in ipairs(redis.call('ZRANGEBYSCORE', started, score, score)) do
        local held = false
        local run = redis.call('HGET', P .. 'running', id)
        if run then
          local s, w = string.match(run, '^%d+ %S+ %S+ %d (%S+) (%S+)$')
          local rec = redis.call('HGET', P .. 'jobs', id)
          if starts[s] and w == worker and rec then held = {id, q, 1, 1, rec, false, run} end
        else
          -- A run in its hash home: a retried job, or a first run that a cancel request or
          -- progress moved there since.
          local f = redis.call('HMGET', P .. 'job:' .. id, 'state', 'started_at', 'worker', 'lease', 'attempt',
            'doc', 'max_attempts', 'cancel')
          if f[1] == 'started' and f[2] and starts[f[2]] and f[3] == worker then
            if f[8] == '1' then
              -- A cancel was asked for before it ran here: it ends canceled, as `release` ends it.
              settle(id, q, now, 'canceled', '{"type":"Canceled","message":"canceled before it started"}', 0)
            else
              held = {id, q, tonumber(f[4]), tonumber(f[5]), f[6], f[7], f[2] .. ' ' .. worker}
            end
          end
        end
        if held then
          redis.call('ZADD', started, int(now + lease_ms), id)
          return held
        end
      end
    end
  end
  return false
end

-- The `now` of each lost call a retry names (see adopt): ARGV[at] is their count, then the list.
local function lost_calls(at)
  local lost = {}
  for i = 1, tonumber(ARGV[at] or '0') do lost[i] = ARGV[at + i] end
  return lost
end

-- Take the next job from the first non-empty queue, in order, under a lease.
-- Returns {id, queue, lease, attempt, doc or record, max_attempts or false, run} or false, where
-- run names the run for `finish`: the run record of a first run, `STARTED_AT WORKER` otherwise.
local function fetch(now, lease_ms, worker, queues)
  for _, q in ipairs(queues) do
    -- Promoting due scheduled jobs costs a call; a busy worker does it on one fetch in 8
    -- (by the clock), an idle one on every fetch after its wait.
    if now % 8 == 0 or idle_fetch then promote(q, now) end
    local prio = P .. 'prio:' .. q
    for _, pri in ipairs(redis.call('ZRANGE', prio, 0, -1)) do
      local list = P .. 'queue:' .. q .. ':' .. pri
      while true do
        local id = redis.call('LPOP', list)
        if not id then
          redis.call('ZREM', prio, pri)
          break
        end
        local key = P .. 'job:' .. id
        local rec = redis.call('HGET', P .. 'jobs', id)
        if rec then
          -- Fast home: a first run. Its run state is one field; the record goes to the worker
          -- whole (it parses the header), so Lua builds no strings from it.
          local rttl = string.match(rec, '^%S+ %S+ %S+ (%S+)')
          local unique = '0'
          if string.find(rec, '"unique_key"', 1, true) then unique = '1' end
          local run = '1 ' .. q .. ' ' .. rttl .. ' ' .. unique .. ' ' .. int(now) .. ' ' .. worker
          redis.call('HSET', P .. 'running', id, run)
          redis.call('ZADD', P .. 'started:' .. q, int(now + lease_ms), id)
          -- The run record goes back too: its finish hands it in, so the common finish needs
          -- no read of it (see `finish`).
          return {id, q, 1, 1, rec, false, run}
        elseif redis.call('EXISTS', key) == 1 then
          local lease = redis.call('HINCRBY', key, 'lease', 1)
          local attempt = redis.call('HINCRBY', key, 'attempt', 1)
          redis.call('HSET', key, 'state', 'started', 'started_at', int(now), 'worker', worker)
          redis.call('ZADD', P .. 'started:' .. q, int(now + lease_ms), id)
          -- Chain the wake-up: another idle worker may take the next job now.
          if redis.call('LLEN', P .. 'signal:' .. q) == 0 and redis.call('LLEN', list) > 0 then
            redis.call('LPUSH', P .. 'signal:' .. q, '1')
          end
          local f = redis.call('HMGET', key, 'doc', 'max_attempts')
          return {id, q, lease, attempt, f[1], f[2], int(now) .. ' ' .. worker}
        end
      end
    end
    redis.call('DEL', P .. 'signal:' .. q)
  end
  return false
end
"""#
}
