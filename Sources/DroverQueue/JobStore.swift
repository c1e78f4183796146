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
    private var generator = SystemRandomNumberGenerator()

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

    /// Enqueues many jobs in one script call per `batchSize` jobs, pipelined: one round trip for
    /// the whole list.
    /// - Returns: one result per request, in order.
    /// - Throws: `QueueError.invalidRequest` before anything is written if any request is bad.
    public func enqueue(_ requests: [EnqueueRequest], batchSize: Int = 100) throws(QueueError) -> [EnqueueResult] {
        guard !requests.isEmpty else { return [] }
        let now = Timestamp.nowMilliseconds()
        for (index, request) in requests.enumerated() {
            if let problem = EnqueueValidation.problem(request) {
                throw QueueError(.invalidRequest, requests.count == 1 ? problem : "job \(index + 1): \(problem)")
            }
        }
        var calls: [(keys: [String], arguments: RedisCommand)] = []
        var start = 0
        while start < requests.count {
            let end = min(start + batchSize, requests.count)
            calls.append(([keys.base], arguments(for: requests[start..<end], now: now)))
            start = end
        }
        let replies: [RedisValue]
        do {
            replies = calls.count == 1
                ? [try client.evaluate(QueueScripts.enqueue, keys: calls[0].keys, arguments: calls[0].arguments)]
                : try client.evaluatePipelined(QueueScripts.enqueue, calls: calls)
        } catch {
            throw QueueError(error)
        }
        var results: [EnqueueResult] = []
        results.reserveCapacity(requests.count)
        for reply in replies {
            if case .error(let message) = reply { throw QueueError(.redis, "enqueue: \(message)") }
            guard let flat = reply.array else { throw QueueError(.redis, "enqueue: unexpected reply") }
            var i = 0
            while i + 1 < flat.count {
                let id = JobID(flat[i].string ?? "")
                let state = flat[i + 1].string ?? ""
                if state == "exists" {
                    throw QueueError(.invalidRequest, "a job with id \(id) already exists")
                }
                results.append(EnqueueResult(id: id, state: JobState(rawValue: state), duplicate: state == "duplicate"))
                i += 2
            }
        }
        return results
    }

    private func arguments(for requests: ArraySlice<EnqueueRequest>, now: Int64) -> RedisCommand {
        var command = RedisCommand()
        command.reserve(bytes: requests.count * 256, arguments: 2 + requests.count * 11)
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
            command.append(request.name)
            command.append(options.maxAttempts)
            command.append(request.document(createdAt: now))
            command.append(String(options.resultTTL.milliseconds))
            command.append(String(options.failureTTL.milliseconds))
            command.append(request.argsJSON)
        }
        return command
    }

    // MARK: - Reading

    /// Reads a job.
    /// - Returns: the job, or nil when no job has this id (never enqueued, deleted or expired).
    public func job(_ id: JobID) throws(QueueError) -> Job? {
        let reply: RedisValue
        do {
            reply = try client.command("HGETALL", keys.job(id.rawValue))
        } catch {
            throw QueueError(error)
        }
        guard let flat = reply.array, !flat.isEmpty else { return nil }
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < flat.count {
            fields[flat[i].string ?? ""] = flat[i + 1].string
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
        default: throw QueueError(.refused, "job \(id) is \(state); only a failed or canceled job can be requeued")
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
