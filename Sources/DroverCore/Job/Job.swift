import Foundation

/// A job as stored in Redis and shown to users: every field the README and the API show.
public struct Job: Sendable, Equatable {
    public var id: JobID
    public var name: String
    public var queue: String
    /// The arguments as JSON text (kept as text: handlers decode them into their own type).
    public var argsJSON: String
    public var state: JobState
    public var priority: Int
    public var attempt: Int
    public var maxAttempts: Int
    public var backoff: Backoff
    public var softTimeLimit: TimeSpan?
    public var timeLimit: TimeSpan?
    public var uniqueKey: String?
    public var createdAt: Int64
    public var enqueuedAt: Int64?
    public var scheduledFor: Int64?
    public var startedAt: Int64?
    public var endedAt: Int64?
    public var worker: String?
    public var progress: Double?
    public var progressNote: String?
    public var resultJSON: String?
    public var error: JobError?
    public var resultTTL: TimeSpan
    public var failureTTL: TimeSpan
    /// The fencing token of the current (or last) run: it grows by one per fetch.
    public var lease: Int
    /// Whether a cancel was asked for while the job ran.
    public var cancelRequested: Bool


    /// Creates a job value (the store builds these from Redis).
    public init(
        id: JobID,
        name: String,
        queue: String,
        argsJSON: String,
        state: JobState,
        priority: Int,
        attempt: Int,
        maxAttempts: Int,
        backoff: Backoff,
        softTimeLimit: TimeSpan? = nil,
        timeLimit: TimeSpan? = nil,
        uniqueKey: String? = nil,
        createdAt: Int64,
        enqueuedAt: Int64? = nil,
        scheduledFor: Int64? = nil,
        startedAt: Int64? = nil,
        endedAt: Int64? = nil,
        worker: String? = nil,
        progress: Double? = nil,
        progressNote: String? = nil,
        resultJSON: String? = nil,
        error: JobError? = nil,
        resultTTL: TimeSpan,
        failureTTL: TimeSpan,
        lease: Int,
        cancelRequested: Bool
    ) {
        self.id = id
        self.name = name
        self.queue = queue
        self.argsJSON = argsJSON
        self.state = state
        self.priority = priority
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.softTimeLimit = softTimeLimit
        self.timeLimit = timeLimit
        self.uniqueKey = uniqueKey
        self.createdAt = createdAt
        self.enqueuedAt = enqueuedAt
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.worker = worker
        self.progress = progress
        self.progressNote = progressNote
        self.resultJSON = resultJSON
        self.error = error
        self.resultTTL = resultTTL
        self.failureTTL = failureTTL
        self.lease = lease
        self.cancelRequested = cancelRequested
    }

    /// The job's document as JSON for `--json` output and the HTTP API (times in RFC 3339).
    public var json: JSONValue {
        func time(_ ms: Int64?) -> JSONValue { ms.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null }
        func raw(_ text: String?) -> JSONValue {
            guard let text else { return .null }
            return (try? JSONValue(parsing: text)) ?? .string(text)
        }
        var progressValue: JSONValue = .null
        if let progress {
            progressValue = .object(["percent": .number(progress), "note": raw(progressNote)])
        }
        var errorValue: JSONValue = .null
        if let error {
            var members: [String: JSONValue] = ["type": .string(error.type), "message": .string(error.message)]
            if let signal = error.signal { members["signal"] = .string(signal) }
            if let status = error.exitStatus { members["exit_status"] = .number(Double(status)) }
            errorValue = .object(members)
        }
        return .object([
            "id": .string(id.rawValue), "name": .string(name), "queue": .string(queue), "args": raw(argsJSON),
            "state": .string(state.rawValue), "priority": .number(Double(priority)),
            "attempt": .number(Double(attempt)), "max_attempts": .number(Double(maxAttempts)),
            "backoff": .object(["base": .number(backoff.base.seconds), "factor": .number(backoff.factor),
                                "cap": .number(backoff.cap.seconds), "jitter": .number(backoff.jitter)]),
            "soft_time_limit": softTimeLimit.map { .number($0.seconds) } ?? .null,
            "time_limit": timeLimit.map { .number($0.seconds) } ?? .null,
            "unique_key": uniqueKey.map { .string($0) } ?? .null,
            "created_at": time(createdAt), "enqueued_at": time(enqueuedAt), "scheduled_for": time(scheduledFor),
            "started_at": time(startedAt), "ended_at": time(endedAt),
            "worker": worker.map { .string($0) } ?? .null,
            "progress": progressValue, "result": raw(resultJSON), "error": errorValue,
            "result_ttl": .number(resultTTL.seconds), "failure_ttl": .number(failureTTL.seconds),
            "cancel_requested": .bool(cancelRequested),
        ])
    }
}
