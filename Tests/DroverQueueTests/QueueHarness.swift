@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

/// What the fetch script hands a worker: {id, queue, lease, attempt, doc, name, max_attempts, args}.
struct Fetched: Equatable {
    var id: JobID
    var queue: String
    var lease: Int
    var attempt: Int
    var doc: String
    var name: String
    var maxAttempts: Int
    var args: String

    /// Accepts {id, queue, lease, attempt, doc, name, max_attempts, args} and the shorter
    /// {id, queue, lease, attempt, doc, max_attempts[, run]} whose doc carries the name and arguments.
    init(_ value: RedisValue) throws {
        guard let a = value.array, a.count == 8 || a.count == 6 || a.count == 7, let id = a[0].string, let queue = a[1].string,
              let lease = a[2].int, let attempt = a[3].int, let doc = a[4].string
        else { throw TestFixtureError("unexpected fetch reply \(String(describing: value).prefix(300))") }
        self.id = JobID(id)
        self.queue = queue
        self.lease = lease
        self.attempt = attempt
        self.doc = doc
        if a.count == 8 {
            guard let name = a[5].string, let maxAttempts = a[6].int, let args = a[7].string else {
                throw TestFixtureError("unexpected fetch reply \(String(describing: value).prefix(300))")
            }
            self.name = name
            self.maxAttempts = maxAttempts
            self.args = args
        } else {
            // The production parser: a first run carries the whole record (header + doc).
            guard let job = FetchedJob(value), let parsed = try? JSONValue(parsing: job.document) else {
                throw TestFixtureError("unexpected fetch reply \(String(describing: value).prefix(300))")
            }
            self.doc = job.document
            self.name = parsed["name"]?.string ?? ""
            self.maxAttempts = job.maxAttempts
            self.args = JobDocument.argumentsText(of: job.document)
        }
    }

}

/// A private redis-server, a store over it, and the worker-side scripts (which have no Swift
/// wrapper yet) called the way a worker will call them.
final class QueueHarness {
    let server: RedisServer
    let client: RedisClient
    let store: JobStore
    private var madeQueues = 0
    /// What fetches returned to name their runs, by "id lease worker": `finish` (by the same
    /// worker) hands it back the way the worker does, so the run-identity fence is tested too.
    private var runs: [String: String] = [:]

    /// What a fetch by `worker` returned to name the run `id` / `lease`.
    func heldRun(_ id: JobID, lease: Int, worker: String) -> String? {
        runs["\(id.rawValue) \(lease) \(worker)"]
    }

    private func remember(_ value: RedisValue, worker: String) {
        if let a = value.array, a.count == 7, let id = a[0].string, let lease = a[2].int, let run = a[6].string {
            runs["\(id) \(lease) \(worker)"] = run
        }
    }

    init(prefix: String = "drover") throws {
        server = try RedisServer()
        client = server.client()
        store = JobStore(client: client, prefix: prefix)
    }

    var keys: Keyspace { store.keys }

    static var now: Int64 { Timestamp.nowMilliseconds() }

    // MARK: Producer side

    @discardableResult
    func enqueue(_ name: String = "task", args: String = "{}",
                 _ configure: (inout JobOptions) -> Void = { _ in }) throws -> JobID {
        var options = JobOptions()
        configure(&options)
        let result = try store.enqueue(EnqueueRequest(name: name, argsJSON: args, options: options))
        guard !result.duplicate else { throw TestFixtureError("unexpected duplicate for \(name)") }
        return result.id
    }

    /// A job in `state`, alone in a queue of its own (so fetching takes exactly this job).
    func make(_ state: JobState, uniqueKey: String? = nil, queue: String? = nil) throws -> JobID {
        madeQueues += 1
        let q = queue ?? "made\(madeQueues)"
        let id = try enqueue("made.\(state.rawValue)") {
            $0.queue = q
            $0.uniqueKey = uniqueKey
            $0.maxAttempts = 1
            if state == .scheduled { $0.runAt = QueueHarness.now + 3_600_000 }
        }
        switch state {
        case .queued, .scheduled:
            break
        case .canceled:
            guard try store.cancel(id) == .canceled else { throw TestFixtureError("cancel did not cancel") }
        case .started, .finished, .failed:
            guard let fetched = try fetch([q]), fetched.id == id else { throw TestFixtureError("fetch missed \(id)") }
            if state == .finished {
                _ = try finish(id, lease: fetched.lease, outcome: "finished", payload: "{\"ok\":true}")
            } else if state == .failed {
                _ = try finish(id, lease: fetched.lease, outcome: "failed", payload: Self.boom)
            }
        }
        guard try store.job(id)?.state == state else { throw TestFixtureError("could not make a \(state) job") }
        return id
    }

    static let boom = JobError(type: "ValueError", message: "boom").jsonText
    static let crash = JobError(type: "Crash", message: "child died", signal: "KILL").jsonText

    // MARK: Worker-side scripts

    func eval(_ script: RedisScript, _ arguments: [String]) throws -> RedisValue {
        try client.evaluate(script, keys: [keys.base], arguments: RedisCommand(words: arguments))
    }

    func fetch(_ queues: [String] = ["default"], now: Int64 = QueueHarness.now, leaseMs: Int64 = 30_000,
               worker: String = "host-a:100") throws -> Fetched? {
        let reply = try eval(QueueScripts.fetch, [String(now), String(leaseMs), worker, String(queues.count)] + queues)
        remember(reply, worker: worker)
        return reply.isNull ? nil : try Fetched(reply)
    }

    func finish(_ id: JobID, lease: Int, outcome: String, payload: String = "null", retryAt: Int64 = 0,
                now: Int64 = QueueHarness.now, next: [String]? = nil, leaseMs: Int64 = 30_000,
                worker: String = "host-a:100", handBackRun: Bool = true) throws -> (status: String, next: Fetched?) {
        let run = handBackRun ? runs["\(id.rawValue) \(lease) \(worker)"] ?? "" : ""
        var args = [id.rawValue, String(lease), String(now), outcome, payload, String(retryAt), run]
        if let next {
            args += ["1", String(leaseMs), worker, String(next.count)] + next
        } else {
            args += ["0", "0", "", "0"]
        }
        let reply = try eval(QueueScripts.finish, args)
        guard let a = reply.array, a.count >= 2, let status = a[0].string else {
            throw TestFixtureError("unexpected finish reply \(reply)")
        }
        remember(a[1], worker: worker)
        return (status, a[1].isNull ? nil : try Fetched(a[1]))
    }

    func recover(_ id: JobID, lease: Int, error: String = QueueHarness.crash, now: Int64 = QueueHarness.now) throws -> String {
        try eval(QueueScripts.recover, [id.rawValue, String(lease), String(now), error]).string ?? "?"
    }

    func recoverExpired(now: Int64, error: String = QueueHarness.crash, limit: Int = 100) throws -> [JobID] {
        let reply = try eval(QueueScripts.recoverExpired, [String(now), error, String(limit)])
        guard let ids = reply.array else { throw TestFixtureError("unexpected recover-expired reply \(reply)") }
        return ids.compactMap { $0.string.map(JobID.init) }
    }

    /// Renews as the run that `worker`'s fetch named, when `worker` is given (as a lease keeper
    /// does), else by lease alone.
    func renew(_ id: JobID, lease: Int, deadline: Int64, worker: String? = nil) throws -> Int {
        let run = worker.flatMap { runs["\(id.rawValue) \(lease) \($0)"] } ?? ""
        return try eval(QueueScripts.renew, [id.rawValue, String(lease), String(deadline), run]).int ?? -99
    }

    func progress(_ id: JobID, lease: Int, percent: String, note: String = "", worker: String? = nil) throws -> Int {
        let run = worker.flatMap { runs["\(id.rawValue) \(lease) \($0)"] } ?? ""
        return try eval(QueueScripts.progress, [id.rawValue, String(lease), percent, note, run]).int ?? -99
    }

    // MARK: Looking at Redis (layout-agnostic: a queue may be one sorted set `queue:Q`, or
    // one list per priority level `queue:Q:PRI` with the levels in `prio:Q`)

    func dbsize() throws -> Int { try client.command("DBSIZE").int ?? -1 }

    func allKeys() throws -> [String] {
        (try client.command("KEYS", "*").array ?? []).compactMap(\.string).sorted()
    }

    /// Every key with its DUMP, to prove that nothing at all was written.
    func snapshot() throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for key in try allKeys() { out[key] = try client.command("DUMP", key).bytes ?? [] }
        return out
    }

    func score(_ key: String, _ id: JobID) throws -> Double? {
        try client.command("ZSCORE", key, id.rawValue).string.flatMap(Double.init)
    }

    func members(_ key: String) throws -> [String] {
        (try client.command("ZRANGE", key, "0", "-1").array ?? []).compactMap(\.string)
    }

    func card(_ key: String) throws -> Int { try client.command("ZCARD", key).int ?? -1 }

    /// The queued ids of a queue, in the order a fetch would take them.
    func queued(_ q: String) throws -> [JobID] {
        let plain = keys.base + "queue:" + q
        if try client.command("TYPE", plain).string == "zset" {
            return try members(plain).map(JobID.init)
        }
        var ids: [JobID] = []
        for pri in try members(keys.base + "prio:" + q) {
            let list = try client.command("LRANGE", plain + ":" + pri, "0", "-1").array ?? []
            ids += list.compactMap(\.string).map(JobID.init)
        }
        return ids
    }

    func pttl(_ id: JobID) throws -> Int { try client.command("PTTL", keys.job(id.rawValue)).int ?? -99 }

    func exists(_ key: String) throws -> Bool { try client.command("EXISTS", key).int == 1 }

    /// Whether Redis holds anything of the job (its own hash, or a record in a `jobs` hash).
    func stored(_ id: JobID) throws -> Bool {
        if try exists(keys.job(id.rawValue)) { return true }
        return try client.command("HEXISTS", keys.base + "jobs", id.rawValue).int == 1
    }

    func hash(_ key: String) throws -> [String: String] {
        let flat = try client.command("HGETALL", key).array ?? []
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < flat.count {
            fields[flat[i].string ?? ""] = flat[i + 1].string ?? ""
            i += 2
        }
        return fields
    }

    func stat(_ queue: String, _ field: String) throws -> Int {
        try client.command("HGET", keys.stats(queue), field).int ?? 0
    }

    func uniqueHolder(_ key: String) throws -> String? {
        try client.command("GET", keys.base + "unique:" + key).string
    }

    /// Every registry that holds `id`, by logical name without the prefix (`queue:default`,
    /// `started:default`, `failed:default` …).
    func registriesHolding(_ id: JobID) throws -> [String] {
        var found: [String] = []
        for key in try allKeys() {
            let type = try client.command("TYPE", key).string
            var name = String(key.dropFirst(keys.base.count))
            if type == "zset", !name.hasPrefix("prio:"), try score(key, id) != nil {
                found.append(name)
            } else if type == "list", name.hasPrefix("queue:"),
                      !(try client.command("LPOS", key, id.rawValue).isNull) {
                name = String(name[..<name.lastIndex(of: ":")!])
                found.append(name)
            }
        }
        return found.sorted()
    }

    /// The job; throws when it does not exist.
    func job(_ id: JobID) throws -> Job {
        guard let job = try store.job(id) else {
            throw TestFixtureError("no job \(id)")
        }
        return job
    }
}

/// The QueueError a call threw, or nil when it returned.
/// (Any other error is recorded as an issue and returned as a `.redis` QueueError.)
func queueError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> QueueError? {
    do {
        _ = try body()
        return nil
    } catch let error as QueueError {
        return error
    } catch {
        Issue.record("not a QueueError: \(error)", sourceLocation: sourceLocation)
        return QueueError(.redis, "\(error)")
    }
}
