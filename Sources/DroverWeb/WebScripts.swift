import DroverRedis

/// The Lua scripts of the HTTP side: reads that the CLI does not need, each one round trip and
/// read-only. Keys as `Keyspace` documents them; KEYS[1] is the prefix with its hash tag.
enum WebScripts {
    /// One page of a queue's jobs in one state. ARGV: state, queue, offset, limit, order
    /// (`newest`: highest score first, i.e. latest ended / latest lease / latest due; for
    /// `queued`, the reverse of run order. `oldest`: the opposite). Returns {total, id…}.
    static let page = RedisScript(name: "web-page", source: #"""
local P, state, q = KEYS[1], ARGV[1], ARGV[2]
local offset, limit, newest = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == 'newest'
if state ~= 'queued' then
  local key = P .. state .. ':' .. q
  local out = {redis.call('ZCARD', key)}
  local ids
  if newest then ids = redis.call('ZREVRANGE', key, offset, offset + limit - 1)
  else ids = redis.call('ZRANGE', key, offset, offset + limit - 1) end
  for _, id in ipairs(ids) do out[#out + 1] = id end
  return out
end
-- Queued: levels highest priority first, FIFO within a level (run order); newest reverses it.
local levels = redis.call('ZRANGE', P .. 'prio:' .. q, 0, -1)
local lists, total = {}, 0
for _, pri in ipairs(levels) do
  local key = P .. 'queue:' .. q .. ':' .. pri
  local len = redis.call('LLEN', key)
  lists[#lists + 1] = {key, len}
  total = total + len
end
local out = {total}
local skip, want = offset, limit
local first, last, step = 1, #lists, 1
if newest then first, last, step = #lists, 1, -1 end
for i = first, last, step do
  if want <= 0 then break end
  local key, len = lists[i][1], lists[i][2]
  if skip >= len then
    skip = skip - len
  else
    local n = math.min(want, len - skip)
    if newest then
      local ids = redis.call('LRANGE', key, -(skip + n), -(skip + 1))
      for j = #ids, 1, -1 do out[#out + 1] = ids[j] end
    else
      for _, id in ipairs(redis.call('LRANGE', key, skip, skip + n - 1)) do out[#out + 1] = id end
    end
    want = want - n
    skip = 0
  end
end
return out
"""#)

    /// One page of one registry across every queue, merged by score. ARGV: state (`failed`,
    /// `scheduled`, `started`, `finished`, `canceled`), offset, limit, order. Returns {total, id…}.
    static let across = RedisScript(name: "web-across", source: #"""
local P, state = KEYS[1], ARGV[1]
local offset, limit, newest = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == 'newest'
local total, all = 0, {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  local key = P .. state .. ':' .. q
  total = total + redis.call('ZCARD', key)
  local rows
  if newest then rows = redis.call('ZREVRANGE', key, 0, offset + limit - 1, 'WITHSCORES')
  else rows = redis.call('ZRANGE', key, 0, offset + limit - 1, 'WITHSCORES') end
  for i = 1, #rows, 2 do all[#all + 1] = {rows[i], tonumber(rows[i + 1])} end
end
if newest then table.sort(all, function(a, b) return a[2] > b[2] end)
else table.sort(all, function(a, b) return a[2] < b[2] end) end
local out = {total}
for i = offset + 1, math.min(#all, offset + limit) do out[#out + 1] = all[i][1] end
return out
"""#)

    /// One hash per queue, for every queue: `stats:Q` (the scripts' counters) or `metrics:Q`
    /// (the workers' counts, `JobMetrics`), as ARGV[1] says. Returns queue, [field, value…]…
    static let perQueueHashes = RedisScript(name: "web-per-queue-hashes", source: #"""
local P = KEYS[1]
local out = {}
for _, q in ipairs(redis.call('SMEMBERS', P .. 'queues')) do
  out[#out + 1] = q
  out[#out + 1] = redis.call('HGETALL', P .. ARGV[1] .. ':' .. q)
end
return out
"""#)
}
