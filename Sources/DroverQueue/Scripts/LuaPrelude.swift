/// Lua functions shared by several scripts. Every script gets the key prefix (which carries the
/// hash tag, e.g. `{drover}:`) as KEYS[1] and builds its keys from it, so every key a script
/// touches lives in one Redis Cluster slot.
///
/// Queue scores pack the priority and an enqueue sequence into one exact double:
/// `(1000 - priority) * 2^41 + seq`, so ZPOPMIN gives the highest priority first and FIFO within a
/// priority (2001 priorities × 2^41 sequence numbers stay below 2^53).
enum LuaPrelude {
    static let source = #"""
local P = KEYS[1]
local PRIORITY_SHIFT = 2199023255552
local SIGNAL_CAP = 64
local REGISTRY_CAP = 100000

local function score(priority, seq)
  return (1000 - priority) * PRIORITY_SHIFT + seq
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

local function stat(q, field, n)
  redis.call('HINCRBY', P .. 'stats:' .. q, field, n)
end

-- Keep an ended-jobs registry bounded: by age (the job hashes expire by TTL on their own) and
-- by count.
local function trim(registry, now, ttl)
  redis.call('ZREMRANGEBYSCORE', registry, '-inf', '(' .. (now - ttl))
  if redis.call('ZCARD', registry) > REGISTRY_CAP then
    redis.call('ZREMRANGEBYRANK', registry, 0, -(REGISTRY_CAP + 1))
  end
end

local function release_unique(key, id)
  local uk = redis.call('HGET', key, 'unique_key')
  if uk and uk ~= '' and redis.call('GET', P .. 'unique:' .. uk) == id then
    redis.call('DEL', P .. 'unique:' .. uk)
  end
end

-- Put a job in its queue (state queued). `front` puts it ahead of its priority class, for a job
-- that was already taken once (a recovered job keeps its place).
local function enqueue_existing(id, q, now, front)
  local key = P .. 'job:' .. id
  local pri = tonumber(redis.call('HGET', key, 'priority')) or 0
  local seq = 0
  if not front then seq = redis.call('INCR', P .. 'seq') end
  redis.call('ZADD', P .. 'queue:' .. q, score(pri, seq), id)
  redis.call('HSET', key, 'state', 'queued', 'enqueued_at', now)
  signal(q, 1)
end

-- Move due scheduled jobs of q into the queue (at most 1000 per call).
local function promote(q, now)
  local sched = P .. 'scheduled:' .. q
  local due = redis.call('ZRANGEBYSCORE', sched, '-inf', now, 'LIMIT', 0, 1000)
  if #due == 0 then return 0 end
  local seq = redis.call('INCRBY', P .. 'seq', #due) - #due
  local moved = 0
  for i, id in ipairs(due) do
    local key = P .. 'job:' .. id
    local pri = tonumber(redis.call('HGET', key, 'priority'))
    if pri then
      redis.call('ZADD', P .. 'queue:' .. q, score(pri, seq + i), id)
      redis.call('HSET', key, 'state', 'queued', 'enqueued_at', now)
      moved = moved + 1
    end
  end
  redis.call('ZREM', sched, unpack(due))
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
    redis.call('ZADD', P .. 'scheduled:' .. q, retry_at, id)
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

-- Take the next job from the first non-empty queue, in order, under a lease.
-- Returns {id, queue, lease, attempt, doc, name, max_attempts, args} or false.
local function fetch(now, lease_ms, worker, queues)
  for _, q in ipairs(queues) do
    promote(q, now)
    local queue = P .. 'queue:' .. q
    while true do
      local popped = redis.call('ZPOPMIN', queue)
      if #popped == 0 then
        redis.call('DEL', P .. 'signal:' .. q)
        break
      end
      local id = popped[1]
      local key = P .. 'job:' .. id
      if redis.call('EXISTS', key) == 1 then
        local lease = redis.call('HINCRBY', key, 'lease', 1)
        local attempt = redis.call('HINCRBY', key, 'attempt', 1)
        redis.call('HSET', key, 'state', 'started', 'started_at', now, 'worker', worker)
        redis.call('ZADD', P .. 'started:' .. q, now + lease_ms, id)
        -- Chain the wake-up: another idle worker may take the next job now.
        if redis.call('LLEN', P .. 'signal:' .. q) == 0 and redis.call('ZCARD', queue) > 0 then
          redis.call('LPUSH', P .. 'signal:' .. q, '1')
        end
        local f = redis.call('HMGET', key, 'doc', 'name', 'max_attempts', 'args')
        return {id, q, lease, attempt, f[1], f[2], f[3], f[4]}
      end
    end
  end
  return false
end
"""#
}
