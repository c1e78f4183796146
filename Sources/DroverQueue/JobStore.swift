import DroverCore
import DroverRedis

/// Typed operations on jobs: each is one Lua script (one round trip), or a pipeline of them.
///
/// Not thread-safe: it owns a `RedisClient`, which is one connection. Use one store per thread or
/// per process (after `fork()`); `Producer` wraps one for async callers.
public final class JobStore {
    /// The Redis client.
    public let client: RedisClient
    /// The keys.
    public let keys: Keyspace
    private var generator = JobIDGenerator()

    /// Creates a store over a client.
    public init(client: RedisClient, prefix: String = "drover") {
        self.client = client
        self.keys = Keyspace(prefix: prefix)
    }

    func run(_ script: RedisScript, _ arguments: RedisCommand) throws(QueueError) -> RedisValue {
        do {
            return try client.evaluate(script, keys: [keys.base], arguments: arguments)
        } catch {
            throw QueueError(error)
        }
    }

    /// Loads every script, so a first enqueue or a pipeline pays no extra round trip.
    public func preload() throws(QueueError) {
        do {
            for script in QueueScripts.all { try client.load(script) }
        } catch {
            throw QueueError(error)
        }
    }

    // MARK: - Enqueue

    /// Enqueues one job.
    /// - Throws: `QueueError` `.invalidRequest` (nothing written) or `.unavailable`.
    @discardableResult
    public func enqueue(_ request: EnqueueRequest) throws(QueueError) -> EnqueueResult {
        try enqueue([request])[0]
    }

    /// Enqueues many jobs, pipelined: one round trip for the whole list.
    ///
    /// Plain jobs (minted id, no unique key, due now) go in MULTI/EXEC transactions of
    /// `batchSize`: one `HSET` of their records and one `RPUSH` per queue and priority, with no
    /// Lua, because per-job Lua work is what bounds batched enqueue (Redis spent 2.3 µs a job in a
    /// Lua loop and 1.4 µs in MULTI/EXEC here). The others take the `enqueue` script, which checks
    /// unique keys and ids. Each transaction and each script is atomic.
    /// - Returns: one result per request, in order.
    /// - Throws: `QueueError.invalidRequest` before anything is written if any request is bad,
    ///   gives one id twice, or gives an id a job has already. (Only a race, another producer
    ///   taking one of the ids between that check and a later script call of the same list, can
    ///   leave the earlier calls written; each call itself is all or nothing.)
    public func enqueue(_ requests: [EnqueueRequest], batchSize: Int = 100) throws(QueueError) -> [EnqueueResult] {
        guard !requests.isEmpty else { return [] }
        let now = Timestamp.nowMilliseconds()
        var lastValid = -1
        for index in requests.indices {
            // Requests of one name and options (a batch, or `--count` copies) check those once;
            // each one's arguments are still checked, unless they are the very same text.
            let problem: String?
            if lastValid >= 0, requests[index].sameTemplate(as: requests[lastValid]) {
                if requests[index].argsJSON == requests[lastValid].argsJSON { continue }
                problem = EnqueueValidation.argumentsProblem(requests[index].argsJSON)
            } else {
                problem = EnqueueValidation.problem(requests[index])
            }
            if let problem {
                throw QueueError(.invalidRequest, requests.count == 1 ? problem : "job \(index + 1): \(problem)")
            }
            lastValid = index
        }
        try checkCallerIDs(requests)
        var results = [EnqueueResult?](repeating: nil, count: requests.count)
        var scriptCalls: [(keys: [String], arguments: RedisCommand)] = []
        var scriptIndexes: [[Int]] = []
        var plain: [Int] = []
        var careful: [Int] = []
        for index in requests.indices {
            if requests[index].isPlain(now: now) { plain.append(index) } else { careful.append(index) }
        }
        var start = 0
        while start < careful.count {
            let chunk = Array(careful[start..<min(start + batchSize, careful.count)])
            scriptCalls.append(([keys.base], scriptArguments(for: chunk.map { requests[$0] }, now: now)))
            scriptIndexes.append(chunk)
            start += batchSize
        }
        do {
            // The careful jobs first: a taken id refuses its call whole (the script writes
            // nothing then), so the plain jobs of this request are not written either.
            if !scriptCalls.isEmpty {
                let replies = try client.evaluatePipelined(QueueScripts.enqueue, calls: scriptCalls)
                for (reply, indexes) in zip(replies, scriptIndexes) {
                    try collect(reply, into: &results, at: indexes)
                }
            }
            // Streamed: while Redis runs one window of transactions, the next is built, so the
            // client's work and the server's overlap instead of taking turns.
            var pending = 0
            var position = 0
            while position < plain.count {
                var window: [RedisCommand] = []
                for _ in 0..<40 where position < plain.count {
                    let chunk = plain[position..<min(position + batchSize, plain.count)]
                    window += transaction(for: chunk, requests: requests, now: now, results: &results)
                    position += chunk.count
                }
                try client.send(window)
                if pending > 0 { try check(try client.receive(count: pending)) }
                pending = window.count
            }
            if pending > 0 { try check(try client.receive(count: pending)) }
        } catch let error as RedisError {
            throw QueueError(error)
        } catch let error as QueueError {
            throw error
        } catch {
            throw QueueError(.redis, "\(error)")
        }
        return results.map { $0! }
    }

    /// Refuses, before anything is written, a request list that gives one id twice or an id that
    /// a job has already: one pipelined round trip, paid only when callers chose ids. (The
    /// enqueue script checks again, atomically, for a race with another producer.)
    private func checkCallerIDs(_ requests: [EnqueueRequest]) throws(QueueError) {
        let ids = requests.compactMap(\.options.id)
        guard !ids.isEmpty else { return }
        var seen = Set<String>()
        for id in ids where !seen.insert(id.rawValue).inserted {
            throw QueueError(.invalidRequest, "job id \(id) is given twice")
        }
        var commands: [RedisCommand] = []
        for id in ids {
            commands.append(RedisCommand("EXISTS", keys.job(id.rawValue)))
            commands.append(RedisCommand("HEXISTS", keys.base + "jobs", id.rawValue))
        }
        let replies: [RedisValue]
        do {
            replies = try client.pipeline(commands)
        } catch {
            throw QueueError(error)
        }
        for (index, id) in ids.enumerated() where replies[index * 2].int == 1 || replies[index * 2 + 1].int == 1 {
            throw QueueError(.invalidRequest, "a job with id \(id) already exists")
        }
    }

    private func check(_ replies: [RedisValue]) throws(QueueError) {
        for reply in replies {
            if case .error(let message) = reply { throw QueueError(.redis, "enqueue: \(message)") }
            if case .array(let results) = reply {
                for result in results { if case .error(let message) = result { throw QueueError(.redis, "enqueue: \(message)") } }
            }
        }
    }

    /// One MULTI/EXEC for plain jobs: records, queue pushes, bookkeeping, wake-ups.
    private func transaction(for chunk: ArraySlice<Int>, requests: [EnqueueRequest], now: Int64,
                             results: inout [EnqueueResult?]) -> [RedisCommand] {
        var hset = RedisCommand("HSET", keys.base + "jobs")
        hset.reserve(bytes: chunk.count * 300, arguments: 2 + chunk.count * 2)
        // One RPUSH per queue and priority, built as the ids are minted (a batch usually has
        // one level, so the lookup runs only when the level changes).
        var levels: [(queue: String, priority: Int, push: RedisCommand, count: Int)] = []
        var previousIndex = -1
        var parts: (prefix: [UInt8], suffix: [UInt8]) = ([], [])
        var lastLevel = -1
        var level = 0
        // Jobs enqueued per queue and name, for /metrics: a new entry only when the template
        // (which includes the name) or the queue changes, so a batch of one kind costs one.
        var named: [(queue: String, name: String, count: Int)] = []
        for index in chunk {
            let id = JobID.generate(milliseconds: now, using: &generator)
            // Jobs of one name and options share the record around their arguments: build it
            // once per run of such requests. Compared in place: copying a request retains strings.
            if previousIndex < 0 || !requests[index].sameTemplate(as: requests[previousIndex]) {
                parts = requests[index].recordParts(now: now)
                let request = requests[index]
                if named.last.map({ $0.queue != request.options.queue || $0.name != request.name }) ?? true {
                    named.append((request.options.queue, request.name, 0))
                }
            }
            named[named.count - 1].count += 1
            previousIndex = index
            hset.append(id.rawValue)
            hset.append(prefix: parts.prefix, middle: requests[index].argsJSON, suffix: parts.suffix)
            let options = requests[index].options
            if lastLevel < 0 || requests[lastLevel].options.queue != options.queue
                || requests[lastLevel].options.priority != options.priority {
                lastLevel = index
                if let found = levels.firstIndex(where: { $0.queue == options.queue && $0.priority == options.priority }) {
                    level = found
                } else {
                    var push = RedisCommand("RPUSH", "\(keys.base)queue:\(options.queue):\(options.priority)")
                    push.reserve(bytes: chunk.count * 32, arguments: chunk.count)
                    levels.append((options.queue, options.priority, push, 0))
                    level = levels.count - 1
                }
            }
            levels[level].push.append(id.rawValue)
            levels[level].count += 1
            results[index] = EnqueueResult(id: id, state: .queued, duplicate: false)
        }
        var commands = [RedisCommand("MULTI"), hset]
        var perQueue: [String: Int] = [:]
        for entry in levels {
            commands.append(RedisCommand("ZADD", keys.base + "prio:" + entry.queue, String(-entry.priority), String(entry.priority)))
            commands.append(entry.push)
            perQueue[entry.queue, default: 0] += entry.count
        }
        var perName: [String: [String: Int]] = [:]
        for entry in named { perName[entry.queue, default: [:]]["enqueued " + entry.name, default: 0] += entry.count }
        for (queue, fields) in perName {
            for (field, count) in fields { commands.append(RedisCommand("HINCRBY", keys.metrics(queue), field, String(count))) }
        }
        for (queue, count) in perQueue.sorted(by: { $0.key < $1.key }) {
            commands.append(RedisCommand("SADD", keys.queues, queue))
            commands.append(RedisCommand("HINCRBY", keys.stats(queue), "enqueued", String(count)))
            var wake = RedisCommand("LPUSH", keys.signal(queue))
            for _ in 0..<min(count, 64) { wake.append("1") }
            commands.append(wake)
            commands.append(RedisCommand("LTRIM", keys.signal(queue), "0", "63"))
        }
        commands.append(RedisCommand("EXEC"))
        return commands
    }

    private func scriptArguments(for requests: [EnqueueRequest], now: Int64) -> RedisCommand {
        var command = RedisCommand()
        command.reserve(bytes: requests.count * 300, arguments: 2 + requests.count * 7)
        command.append(String(now))
        command.append(requests.count)
        for request in requests {
            let options = request.options
            let id = options.id ?? JobID.generate(milliseconds: now, using: &generator)
            command.append(id.rawValue)
            command.append(options.queue)
            command.append(options.priority)
            command.append(String(options.runAt ?? 0))
            command.append(options.uniqueKey ?? "")
            command.append(request.record(now: now))
            command.append(request.name)
        }
        return command
    }

    private func collect(_ reply: RedisValue, into results: inout [EnqueueResult?], at indexes: [Int]) throws(QueueError) {
        if case .error(let message) = reply { throw QueueError(.redis, "enqueue: \(message)") }
        if let flat = reply.array, flat.count == 2, flat[1].string == "exists" {
            throw QueueError(.invalidRequest, "a job with id \(flat[0].string ?? "?") already exists")
        }
        guard let flat = reply.array, flat.count == indexes.count * 2 else { throw QueueError(.redis, "enqueue: unexpected reply") }
        for (position, index) in indexes.enumerated() {
            let id = JobID(flat[position * 2].string ?? "")
            let state = flat[position * 2 + 1].string ?? ""
            results[index] = EnqueueResult(id: id, state: JobState(rawValue: state), duplicate: state == "duplicate")
        }
    }

    // MARK: - Reading

    /// Reads a job.
    /// - Returns: the job, or nil when no job has this id (never enqueued, deleted or expired).
    public func job(_ id: JobID) throws(QueueError) -> Job? {
        var args = RedisCommand()
        args.append(id.rawValue)
        guard let reply = try run(QueueScripts.read, args).array, let kind = reply.first?.string else { return nil }
        if kind == "record", reply.count >= 2, let record = reply[1].string {
            return JobRecord.decode(id: id, record: record, scheduledFor: reply.count > 2 ? reply[2].int.map(Int64.init) : nil,
                                    running: reply.count > 3 ? reply[3].string : nil, done: reply.count > 4 ? reply[4].string : nil)
        }
        var fields: [String: String] = [:]
        var i = 1
        while i + 1 < reply.count {
            fields[reply[i].string ?? ""] = reply[i + 1].string
            i += 2
        }
        return JobRecord.decode(id: id, fields: fields)
    }

    // MARK: - Producer-side state changes

    /// Cancels a job: a queued or scheduled one at once; a started one is asked to stop (its
    /// worker cancels the handler's Task) and ends `canceled`.
    /// - Returns: `.canceled` or `.requested`.
    /// - Throws: `.notFound`, or `.refused` for a job that already ended.
    public func cancel(_ id: JobID) throws(QueueError) -> CancelOutcome {
        var args = RedisCommand()
        args.append(id.rawValue)
        args.append(String(Timestamp.nowMilliseconds()))
        args.append(JobError(type: "Canceled", message: "canceled by request before it ran").jsonText)
        let state = try run(QueueScripts.cancel, args).string ?? ""
        switch state {
        case "canceled": return .canceled
        case "requested": return .requested
        case "missing": throw QueueError(.notFound, "no job \(id)")
        default:
            let ended = state.hasPrefix("ended:") ? String(state.dropFirst(6)) : state
            throw QueueError(.refused, "job \(id) is \(ended); only a scheduled, queued or started job can be canceled")
        }
    }

    /// Puts a failed or canceled job back in its queue with fresh attempts.
    /// - Throws: `.notFound`, or `.refused` for a job in another state.
    public func requeue(_ id: JobID) throws(QueueError) {
        var args = RedisCommand()
        args.append(id.rawValue)
        args.append(String(Timestamp.nowMilliseconds()))
        let state = try run(QueueScripts.requeue, args).string ?? ""
        switch state {
        case "queued": return
        case "missing": throw QueueError(.notFound, "no job \(id)")
        case "duplicate": throw QueueError(.refused, "job \(id): another live job holds its unique key")
        default:
            let current = state.hasPrefix("refused:") ? String(state.dropFirst(8)) : state
            throw QueueError(.refused, "job \(id) is \(current); only a failed or canceled job can be requeued")
        }
    }

    /// Deletes a job that is not running.
    /// - Throws: `.notFound`, or `.refused` for a started job (cancel it first).
    public func delete(_ id: JobID) throws(QueueError) {
        var args = RedisCommand()
        args.append(id.rawValue)
        switch try run(QueueScripts.delete, args).string ?? "" {
        case "deleted": return
        case "missing": throw QueueError(.notFound, "no job \(id)")
        default: throw QueueError(.refused, "job \(id) is running; cancel it first")
        }
    }

    /// Removes every queued job of a queue.
    /// - Returns: how many were removed.
    @discardableResult
    public func empty(queue: String) throws(QueueError) -> Int {
        var total = 0
        while true {
            var args = RedisCommand()
            args.append(queue)
            args.append(1000)
            let removed = try run(QueueScripts.empty, args).int ?? 0
            total += removed
            if removed < 1000 { return total }
        }
    }

    /// Ids in a registry (`failed`, `finished`, `canceled`, `scheduled`, `started`, or `queue`),
    /// oldest first.
    public func ids(in registry: String, queue: String, offset: Int = 0, limit: Int = 100) throws(QueueError) -> [JobID] {
        var args = RedisCommand()
        args.append(registry + ":" + queue)
        args.append(offset)
        args.append(offset + max(limit, 1) - 1)
        return (try run(QueueScripts.registryPage, args).array ?? []).compactMap { $0.string.map(JobID.init) }
    }

    /// Counts per queue and state.
    public func info() throws(QueueError) -> [QueueCounts] {
        let reply = try run(QueueScripts.info, RedisCommand())
        return (reply.array ?? []).compactMap { row in
            guard let r = row.array, r.count == 8, let name = r[0].string else { return nil }
            let oldest = r[7].int ?? -1
            return QueueCounts(name: name, queued: r[1].int ?? 0, scheduled: r[2].int ?? 0, started: r[3].int ?? 0,
                               finished: r[4].int ?? 0, failed: r[5].int ?? 0, canceled: r[6].int ?? 0,
                               oldestQueuedAt: oldest >= 0 ? Int64(oldest) : nil)
        }.sorted { $0.name < $1.name }
    }
}

/// What `cancel` did.
public enum CancelOutcome: String, Sendable {
    /// The job was scheduled or queued and is now canceled.
    case canceled
    /// The job is running; its worker was asked to stop it.
    case requested
}

/// A queue's counts per state.
public struct QueueCounts: Sendable, Equatable {
    public var name: String
    public var queued: Int
    public var scheduled: Int
    public var started: Int
    public var finished: Int
    public var failed: Int
    public var canceled: Int
    /// When the job at the head of the queue was enqueued (ms since the epoch).
    public var oldestQueuedAt: Int64?
}
