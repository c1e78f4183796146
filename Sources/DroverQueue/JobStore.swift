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
    /// Lua, because per-job Lua work is what bounds batched enqueue. The others take the
    /// `enqueue` script, which checks unique keys and ids. Each transaction and each script is
    /// atomic.
    ///
    /// Safe to retry: every id is chosen before anything is sent, and a job whose id is taken by
    /// the same job (the same name, arguments and options) is returned, not written again
    /// (`EnqueueResult.repeated`). When the reply is lost after the request went out (a command
    /// timeout, a dropped connection), the jobs not yet confirmed are sent once more, with the
    /// ids they had, through the script; the first connection is fenced off first, so a request
    /// still in flight on it cannot run after the retry.
    /// - Returns: one result per request, in order.
    /// - Throws: `QueueError.invalidRequest` before anything is written if any request is bad,
    ///   gives one id twice, or gives an id that another job has. (Only a race, another producer
    ///   taking one of the ids between that check and a later script call of the same list, can
    ///   leave the earlier calls written; each call itself is all or nothing.)
    ///   `.unavailable` when nothing was sent (Redis could not be reached);
    ///   `.outcomeUnknown` when the request was sent, its reply was lost and the retry got no
    ///   answer either: `unconfirmed` lists the ids whose fate is unknown.
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
                problem = JobArguments.problem(requests[index].argsJSON)
            } else {
                problem = EnqueueValidation.problem(requests[index])
            }
            if let problem {
                throw QueueError(.invalidRequest, requests.count == 1 ? problem : "job \(index + 1): \(problem)")
            }
            lastValid = index
        }
        var ids: [JobID] = []
        ids.reserveCapacity(requests.count)
        var plain: [Int] = []
        var careful: [Int] = []
        for index in requests.indices {
            ids.append(requests[index].options.id ?? JobID.generate(milliseconds: now, using: &generator))
            if requests[index].isPlain(now: now) { plain.append(index) } else { careful.append(index) }
        }
        // One script call refuses a taken id by itself, all or nothing; a longer list is checked
        // first, so that no earlier call is written.
        try checkCallerIDs(requests, ids: ids, now: now, alone: plain.isEmpty && careful.count <= batchSize)
        var results = [EnqueueResult?](repeating: nil, count: requests.count)
        var sent = (any: false, plain: false)
        do {
            try write(requests, ids: ids, careful: careful, plain: plain, now: now, batchSize: batchSize,
                      results: &results, sent: &sent)
        } catch where sent.any && error.code == .unavailable {
            try retry(requests, ids: ids, fencing: sent.plain, now: now, batchSize: batchSize, results: &results, lost: error)
        }
        return results.map { $0! }
    }

    /// Sends the jobs: the careful ones by script, the plain ones in streamed transactions.
    /// `sent` says whether anything, and whether a transaction, may have reached Redis;
    /// `results` holds what is confirmed.
    private func write(_ requests: [EnqueueRequest], ids: [JobID], careful: [Int], plain: [Int], now: Int64, batchSize: Int,
                       results: inout [EnqueueResult?], sent: inout (any: Bool, plain: Bool)) throws(QueueError) {
        var scriptCalls: [(keys: [String], arguments: RedisCommand)] = []
        var scriptIndexes: [[Int]] = []
        var start = 0
        while start < careful.count {
            let chunk = Array(careful[start..<min(start + batchSize, careful.count)])
            scriptCalls.append(([keys.base], scriptArguments(for: chunk, of: requests, ids: ids, now: now)))
            scriptIndexes.append(chunk)
            start += batchSize
        }
        do {
            // The careful jobs first: a taken id refuses its call whole (the script writes
            // nothing then), so the plain jobs of this request are not written either.
            if !scriptCalls.isEmpty {
                let replies: [RedisValue]
                do {
                    replies = try client.evaluatePipelined(QueueScripts.enqueue, calls: scriptCalls)
                } catch {
                    if error.requestSent { sent.any = true }
                    throw error
                }
                sent.any = true
                for (reply, indexes) in zip(replies, scriptIndexes) {
                    try collect(reply, into: &results, at: indexes)
                }
            }
            // Streamed: while Redis runs one window of transactions, the next is built, so the
            // client's work and the server's overlap instead of taking turns. A window's results
            // count as confirmed once its replies are read.
            var pending: (count: Int, indexes: ArraySlice<Int>) = (0, [])
            var position = 0
            while position < plain.count {
                var window: [RedisCommand] = []
                let first = position
                for _ in 0..<40 where position < plain.count {
                    let chunk = plain[position..<min(position + batchSize, plain.count)]
                    window += transaction(for: chunk, requests: requests, ids: ids, now: now)
                    position += chunk.count
                }
                do {
                    try client.send(window)
                } catch {
                    if error.requestSent { sent = (true, true) }
                    throw error
                }
                sent = (true, true)
                if pending.count > 0 {
                    try check(try client.receive(count: pending.count))
                    for index in pending.indexes { results[index] = EnqueueResult(id: ids[index], state: .queued, duplicate: false) }
                }
                pending = (window.count, plain[first..<position])
            }
            if pending.count > 0 {
                try check(try client.receive(count: pending.count))
                for index in pending.indexes { results[index] = EnqueueResult(id: ids[index], state: .queued, duplicate: false) }
            }
        } catch let error as RedisError {
            throw QueueError(error)
        } catch let error as QueueError {
            // An error reply read while the next window was already sent leaves that window's
            // replies unread: the next command on this connection would read them as its own.
            client.disconnect()
            throw error
        } catch {
            client.disconnect()
            throw QueueError(.redis, "\(error)")
        }
    }

    /// The one retry after a lost reply: the jobs not confirmed go again, with their ids, through
    /// the script, which returns a job that the lost call did write instead of writing it twice.
    /// A plain transaction has no such check, so when one was in flight the lost connection is
    /// fenced off first (`RedisClient.fenceDroppedConnection`); when that cannot be done the
    /// retry is not made.
    private func retry(_ requests: [EnqueueRequest], ids: [JobID], fencing: Bool, now: Int64, batchSize: Int,
                       results: inout [EnqueueResult?], lost: QueueError) throws(QueueError) {
        let pending = requests.indices.filter { results[$0] == nil }
        guard !pending.isEmpty else { return }
        func unknown(_ why: String) -> QueueError {
            let total = requests.count
            var message = "the enqueue was sent, but its reply was lost (\(lost.message))"
            message += total == 1 ? ", and \(why): whether job \(ids[pending[0]]) was written is unknown"
                : ", and \(why): \(total - pending.count) of \(total) jobs are confirmed; whether the other \(pending.count) "
                    + "were written is unknown (the first is \(ids[pending[0]]))"
            var error = QueueError(.outcomeUnknown, message, underlying: lost.underlying)
            error.unconfirmed = pending.map { ids[$0] }
            error.confirmed = total - pending.count
            return error
        }
        do {
            try client.waitUntilConnected(deadline: ContinuousClock.now + client.options.connectTimeout)
            let fenced = fencing ? try client.fenceDroppedConnection() : true
            if !fenced {
                throw unknown("the lost connection could not be fenced off (CLIENT ID or CLIENT KILL refused), so it was not retried")
            }
            var calls: [(keys: [String], arguments: RedisCommand)] = []
            var indexes: [[Int]] = []
            var start = 0
            while start < pending.count {
                let chunk = Array(pending[start..<min(start + batchSize, pending.count)])
                calls.append(([keys.base], scriptArguments(for: chunk, of: requests, ids: ids, now: now)))
                indexes.append(chunk)
                start += batchSize
            }
            let replies = try client.evaluatePipelined(QueueScripts.enqueue, calls: calls)
            for (reply, chunk) in zip(replies, indexes) { try collect(reply, into: &results, at: chunk, retrying: true) }
        } catch let error as RedisError {
            throw unknown("its retry failed too (\(error))")
        } catch let error as QueueError {
            throw error
        } catch {
            throw QueueError(.redis, "\(error)")
        }
    }

    /// Refuses, before anything is written, a request list that gives one id twice or an id that
    /// another job has already. The second check is a round trip (the script in `check` mode),
    /// paid only when callers chose ids and the list takes more than one call: one script call
    /// checks atomically by itself.
    private func checkCallerIDs(_ requests: [EnqueueRequest], ids: [JobID], now: Int64, alone: Bool) throws(QueueError) {
        let chosen = requests.indices.filter { requests[$0].options.id != nil }
        guard !chosen.isEmpty else { return }
        var seen = Set<String>()
        for index in chosen where !seen.insert(ids[index].rawValue).inserted {
            throw QueueError(.invalidRequest, "job id \(ids[index]) is given twice")
        }
        if alone { return }
        let reply = try run(QueueScripts.enqueue, scriptArguments(for: chosen, of: requests, ids: ids, now: now, mode: "check"))
        if let flat = reply.array, flat.count == 2, flat[1].string == "exists" {
            throw QueueError(.invalidRequest, takenMessage(flat[0].string ?? "?"))
        }
    }

    private func takenMessage(_ id: String) -> String {
        "a job with id \(id) already exists, with another name, arguments or options"
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
    private func transaction(for chunk: ArraySlice<Int>, requests: [EnqueueRequest], ids: [JobID], now: Int64) -> [RedisCommand] {
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
            let id = ids[index]
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

    private func scriptArguments(for indexes: [Int], of requests: [EnqueueRequest], ids: [JobID], now: Int64,
                                 mode: String = "") -> RedisCommand {
        var command = RedisCommand()
        command.reserve(bytes: indexes.count * 300, arguments: 3 + indexes.count * 7)
        command.append(String(now))
        command.append(indexes.count)
        command.append(mode)
        for index in indexes {
            let request = requests[index]
            let options = request.options
            command.append(ids[index].rawValue)
            command.append(options.queue)
            command.append(options.priority)
            command.append(String(options.runAt ?? 0))
            command.append(options.uniqueKey ?? "")
            command.append(request.record(now: now))
            command.append(request.name)
        }
        return command
    }

    /// Reads a script reply into `results`. A `repeat:STATE` is a job this call describes that
    /// exists already: on a retry the lost call wrote it (the caller's call, not a repeat).
    private func collect(_ reply: RedisValue, into results: inout [EnqueueResult?], at indexes: [Int],
                         retrying: Bool = false) throws(QueueError) {
        if case .error(let message) = reply { throw QueueError(.redis, "enqueue: \(message)") }
        if let flat = reply.array, flat.count == 2, flat[1].string == "exists" {
            throw QueueError(.invalidRequest, takenMessage(flat[0].string ?? "?"))
        }
        guard let flat = reply.array, flat.count == indexes.count * 2 else { throw QueueError(.redis, "enqueue: unexpected reply") }
        for (position, index) in indexes.enumerated() {
            let id = JobID(flat[position * 2].string ?? "")
            let state = flat[position * 2 + 1].string ?? ""
            if state.hasPrefix("repeat:") {
                results[index] = EnqueueResult(id: id, state: JobState(rawValue: String(state.dropFirst(7))), duplicate: false,
                                               repeated: !retrying)
            } else {
                results[index] = EnqueueResult(id: id, state: JobState(rawValue: state), duplicate: state == "duplicate")
            }
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
