import DroverCore
import DroverRedis

/// A job taken by a worker: held under a lease until `finish`.
public struct FetchedJob: Sendable {
    /// The job's id.
    public var id: JobID
    /// The queue it came from.
    public var queue: String
    /// The fencing token of this run.
    public var lease: Int
    /// This run's attempt number, from 1.
    public var attempt: Int
    /// The job's JSON document (name, args, backoff, limits).
    public var document: String
    /// Attempts allowed in all.
    public var maxAttempts: Int
    /// When the job became due (enqueued, or its delay ended; ms since the epoch), for the wait
    /// it had; known for a first run only (its record comes whole).
    public var dueAt: Int64?
    /// What the fetch returned to name this run (its start time and worker), handed back by
    /// `finish`: a lease number alone cannot tell this run from a run of a later job that reused
    /// the id.
    var runRecord: String?

    /// Creates a fetched job (the store makes these from a fetch reply).
    public init(id: JobID, queue: String, lease: Int, attempt: Int, document: String, maxAttempts: Int) {
        self.id = id
        self.queue = queue
        self.lease = lease
        self.attempt = attempt
        self.document = document
        self.maxAttempts = maxAttempts
    }

    /// The job's name, read from the front of the document (the writer puts it first), so the
    /// hot path needs no full JSON parse to pick a handler.
    public var name: String {
        let prefix = "{\"name\":\""
        if document.hasPrefix(prefix) {
            let rest = document.utf8.dropFirst(prefix.utf8.count)
            if let end = rest.firstIndex(of: UInt8(ascii: "\"")),
               !rest[rest.startIndex..<end].contains(UInt8(ascii: "\\")) {
                return String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
            }
        }
        return (try? JSONValue(parsing: document))?["name"]?.string ?? ""
    }
}

/// How a run ended, as the worker reports it.
public enum RunOutcome: Sendable {
    /// Success, with the result as JSON text.
    case finished(resultJSON: String)
    /// Another attempt at `retryAt` (ms since the epoch).
    case retry(JobError, retryAt: Int64)
    /// Failed for good.
    case failed(JobError)
    /// Canceled while it ran.
    case canceled(JobError)

    var wire: (String, String, Int64) {
        switch self {
        case .finished(let result): return ("finished", result, 0)
        case .retry(let error, let at): return ("retry", error.jsonText, at)
        case .failed(let error): return ("failed", error.jsonText, 0)
        case .canceled(let error): return ("canceled", error.jsonText, 0)
        }
    }
}

/// Who is fetching, and from where.
public struct FetchSpec: Sendable {
    /// Queues in strict order: the first non-empty one wins.
    public var queues: [String]
    /// The worker's name (`host:pid`), recorded on the job.
    public var worker: String
    /// How long a run is held before any live Drover may recover it.
    public var leaseMilliseconds: Int64

    /// Creates a spec.
    public init(queues: [String], worker: String, leaseMilliseconds: Int64 = 30_000) {
        self.queues = queues
        // Run records are space-separated: a name never holds white space.
        self.worker = worker.isEmpty ? "worker" : String(worker.map { $0.isWhitespace ? "_" : $0 })
        self.leaseMilliseconds = leaseMilliseconds
    }
}

extension JobStore {
    /// Takes the next job under a lease (scheduled jobs that are due are promoted first).
    /// - Returns: the job, or nil when every queue is empty.
    ///
    /// A call whose reply is lost (a timeout, a dropped connection) may have taken a job all the
    /// same. Its retry names it in `lostCalls` (the `now` each such call sent), and gets back the
    /// run it took, if any, instead of a second job: otherwise that job would wait out its lease
    /// and count an attempt it never ran.
    /// - Parameter now: the call's clock, which also names it for a retry (`lostCalls`).
    public func fetch(_ spec: FetchSpec, now: Int64 = Timestamp.nowMilliseconds(),
                      lostCalls: [Int64] = []) throws(QueueError) -> FetchedJob? {
        FetchedJob(try run(QueueScripts.fetch, Self.fetchArguments(spec, now: now, lostCalls: lostCalls)))
    }

    /// Gets back the job that a dead worker's unanswered fetching calls took, if any, and puts
    /// it back at the front of its queue with no attempt counted (a cancel asked for meanwhile
    /// ends it canceled). A supervisor calls this when it reaps a worker child that had such a
    /// call out (`ChildMessage.fetching`): the child died before it said which job it took.
    /// - Parameters:
    ///   - spec: the dead worker's queues, name and lease.
    ///   - lostCalls: the clocks its calls sent since it last started a job or went idle.
    /// - Returns: the job's id, or nil when those calls took nothing that is still theirs.
    public func releaseLostFetch(_ spec: FetchSpec, lostCalls: [Int64]) throws(QueueError) -> JobID? {
        guard !lostCalls.isEmpty else { return nil }
        // Later than any of those calls, which a retry of the dead worker's may have marked
        // (see `fetch`): a call sending a marked clock takes nothing.
        let now = max(Timestamp.nowMilliseconds(), (lostCalls.max() ?? 0) + 1)
        var args = Self.fetchArguments(spec, now: now, lostCalls: lostCalls)
        args.append("1")
        guard let job = FetchedJob(try run(QueueScripts.fetch, args)) else { return nil }
        return try release(job) ? job.id : nil
    }

    private static func fetchArguments(_ spec: FetchSpec, now: Int64, lostCalls: [Int64]) -> RedisCommand {
        var args = RedisCommand()
        args.append(String(now))
        args.append(String(spec.leaseMilliseconds))
        args.append(spec.worker)
        args.append(spec.queues.count)
        for queue in spec.queues { args.append(queue) }
        append(lostCalls, to: &args)
        return args
    }

    private static func append(_ lostCalls: [Int64], to args: inout RedisCommand) {
        args.append(lostCalls.count)
        for call in lostCalls { args.append(Int(call)) }
    }

    /// Ends a run and, when `next` is given, fetches the next job in the same round trip.
    ///
    /// A finish whose outcome is stale takes no next job unless it names `lostCalls`: a call
    /// delivered late, after its own retry, must not take a job for a connection that is gone.
    /// A retry names the `now` of its lost calls and gets back the job one of them took (see
    /// `fetch`).
    /// - Returns: whether the outcome was written, the next job, and why nothing was written
    ///   when nothing was (`FinishDiscard`). A finish arriving after the run's lease expired is
    ///   written all the same while no other run of the job has started since (see
    ///   `QueueScripts.finish`).
    public func finish(_ job: FetchedJob, _ outcome: RunOutcome, next: FetchSpec?,
                       now: Int64 = Timestamp.nowMilliseconds(),
                       lostCalls: [Int64] = []) throws(QueueError) -> (written: Bool, next: FetchedJob?, discarded: FinishDiscard?) {
        let (kind, payload, retryAt) = outcome.wire
        var args = RedisCommand()
        args.append(job.id.rawValue)
        args.append(job.lease)
        args.append(String(now))
        args.append(kind)
        args.append(payload)
        args.append(String(retryAt))
        args.append(job.runRecord ?? "")
        if let next {
            args.append("1")
            args.append(String(next.leaseMilliseconds))
            args.append(next.worker)
            args.append(next.queues.count)
            for queue in next.queues { args.append(queue) }
            Self.append(lostCalls, to: &args)
        } else {
            args.append("0")
        }
        let reply = try run(QueueScripts.finish, args).array ?? []
        let written = (reply.first?.string ?? "stale") != "stale"
        let discarded: FinishDiscard? = written ? nil : (reply.count > 2 && reply[2].string == "written" ? .alreadyWritten : .takenOver)
        return (written, reply.count > 1 ? FetchedJob(reply[1]) : nil, discarded)
    }

    /// Gives back a job fetched but never started (a stop came first): to the front of its
    /// queue, no attempt counted.
    /// - Returns: false when the run was no longer this worker's (nothing changed). A job whose
    ///   cancel was asked for meanwhile ends canceled instead.
    @discardableResult
    public func release(_ job: FetchedJob) throws(QueueError) -> Bool {
        var args = RedisCommand()
        args.append(job.id.rawValue)
        args.append(job.lease)
        args.append(job.runRecord ?? "")
        args.append(String(Timestamp.nowMilliseconds()))
        let state = try run(QueueScripts.release, args).string
        return state == "released" || state == "canceled"
    }

    /// Renews a run's lease.
    /// - Returns: `.held`, `.cancelRequested`, or `.lost` (fenced off).
    public func renew(_ job: FetchedJob, leaseMilliseconds: Int64) throws(QueueError) -> LeaseStatus {
        var args = RedisCommand()
        args.append(job.id.rawValue)
        args.append(job.lease)
        args.append(String(Timestamp.nowMilliseconds() + leaseMilliseconds))
        args.append(job.runRecord ?? "")
        switch try run(QueueScripts.renew, args).int ?? -1 {
        case 1: return .cancelRequested
        case 0: return .held
        default: return .lost
        }
    }

    /// Records progress of a run (ignored when the run lost its lease, or when the job is a
    /// later one that reused the id: the run is named as `finish` names it).
    public func progress(_ job: FetchedJob, percent: Double, noteJSON: String) throws(QueueError) {
        try progress(job.id, lease: job.lease, percent: percent, noteJSON: noteJSON, run: job.runRecord ?? "")
    }

    /// Records progress of the run with this lease (ignored when the run lost its lease).
    public func progress(_ id: JobID, lease: Int, percent: Double, noteJSON: String) throws(QueueError) {
        try progress(id, lease: lease, percent: percent, noteJSON: noteJSON, run: "")
    }

    private func progress(_ id: JobID, lease: Int, percent: Double, noteJSON: String, run held: String) throws(QueueError) {
        var args = RedisCommand()
        args.append(id.rawValue)
        args.append(lease)
        args.append(JSONWriter.number(percent))
        args.append(noteJSON)
        args.append(held)
        _ = try run(QueueScripts.progress, args)
    }

    /// Recovers a run whose worker died (the supervisor calls this when it reaps a child).
    /// - Parameter retryAt: when to run it again if attempts remain (ms since the epoch), as a
    ///   retry after `error`; 0 puts it back at the front of its queue at once; negative fails
    ///   it (a handler's own policy allows no more attempts).
    /// - Returns: the job's new state, or nil when the run had already ended (stale).
    @discardableResult
    public func recover(_ id: JobID, lease: Int, error: JobError, retryAt: Int64 = 0) throws(QueueError) -> JobState? {
        var args = RedisCommand()
        args.append(id.rawValue)
        args.append(lease)
        args.append(String(Timestamp.nowMilliseconds()))
        args.append(error.jsonText)
        args.append(String(retryAt))
        return JobState(rawValue: try run(QueueScripts.recover, args).string ?? "")
    }

    /// Recovers runs whose lease expired (their host is gone) at least
    /// `LeaseTiming.recoveryGrace` ago: a holder cut off from Redis has stopped its run by then
    /// (see `LeaseTiming`), so the run is not taken from under a holder that may still believe
    /// its lease valid.
    /// - Parameter now: the recoverer's clock (ms since the epoch).
    /// - Returns: the ids recovered.
    @discardableResult
    public func recoverExpired(limit: Int = 100, now: Int64 = Timestamp.nowMilliseconds()) throws(QueueError) -> [JobID] {
        var args = RedisCommand()
        args.append(String(now))
        args.append(JobError(type: "LeaseExpired", message: "the worker running it stopped renewing its lease (host or process lost)").jsonText)
        args.append(limit)
        args.append(String(now - LeaseTiming.recoveryGrace.milliseconds))
        return (try run(QueueScripts.recoverExpired, args).array ?? []).compactMap { $0.string.map(JobID.init) }
    }

    /// Blocks until a job may be waiting in one of `queues`, or `timeout` passes.
    public func waitForWork(queues: [String], timeout: Duration) throws(QueueError) {
        var command = RedisCommand("BLPOP")
        for queue in queues { command.append(keys.signal(queue)) }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        command.append(JSONWriter.number((seconds * 1000).rounded() / 1000))
        do {
            _ = try client.blockingCommand(command, blockFor: timeout)
        } catch {
            throw QueueError(error)
        }
    }
}

/// Why a finish wrote nothing.
public enum FinishDiscard: Sendable, Equatable {
    /// This run's outcome was written already, by an earlier call whose reply was lost.
    case alreadyWritten
    /// Another run owns the job, or recovery ended this one (its lease was taken over).
    case takenOver
}

/// The state of a run's lease.
public enum LeaseStatus: Sendable {
    case held
    case cancelRequested
    case lost
}

extension FetchedJob {
    init?(_ value: RedisValue) {
        guard let f = value.array, f.count >= 6, let id = f[0].string, let queue = f[1].string,
              let lease = f[2].int, let attempt = f[3].int, var doc = f[4].string else { return nil }
        var maxAttempts = f[5].int ?? 1
        var dueAt: Int64?
        // A first run gets the job's record whole:
        // `QUEUE PRI MAX_ATTEMPTS RESULT_TTL FAILURE_TTL ENQUEUED_AT\n{doc}`, where ENQUEUED_AT
        // is the due time for a delayed job.
        if !doc.hasPrefix("{"), let newline = doc.firstIndex(of: "\n") {
            let header = doc[..<newline].split(separator: " ")
            if header.count >= 3, let parsed = Int(header[2]) { maxAttempts = parsed }
            if header.count >= 6 { dueAt = Int64(header[5]) }
            doc = String(doc[doc.index(after: newline)...])
        }
        self.init(id: JobID(id), queue: queue, lease: lease, attempt: attempt, document: doc, maxAttempts: maxAttempts)
        self.dueAt = dueAt
        if f.count >= 7 { runRecord = f[6].string }
    }
}
