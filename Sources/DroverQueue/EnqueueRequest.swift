import DroverCore

/// One job to enqueue: its handler's name, its arguments as JSON text, and its options.
public struct EnqueueRequest: Sendable {
    /// The handler's name (`builtin.noop`, `send_email`).
    public var name: String
    /// The arguments as JSON text (validated by the producer before anything is written).
    public var argsJSON: String
    /// Queue, priority, time, retries, limits.
    public var options: JobOptions

    /// Creates a request.
    public init(name: String, argsJSON: String = "{}", options: JobOptions = JobOptions()) {
        self.name = name
        self.argsJSON = argsJSON
        self.options = options
    }

    /// The job's record as the `jobs` hash stores it until it first runs: a header line
    /// `QUEUE PRIORITY MAX_ATTEMPTS RESULT_TTL_MS FAILURE_TTL_MS ENQUEUED_AT_MS` that Lua reads
    /// with one `string.match`, then the JSON document. Written with `JSONWriter`, not
    /// `JSONEncoder`, because batched enqueue builds hundreds of thousands of these a second.
    func record(now: Int64) -> String {
        let parts = recordParts(now: now)
        return String(decoding: parts.prefix, as: UTF8.self) + argsJSON + String(decoding: parts.suffix, as: UTF8.self)
    }

    /// The record around its arguments: everything but `args` is the same for every job with this
    /// name and these options, so a batch builds it once and copies the arguments in between
    /// (building each record whole was most of batched enqueue's client time in a profile).
    ///
    /// ENQUEUED_AT is when the job joins its queue: now, or for a delayed job its due time (it
    /// is promoted then), so the queue's age and the job's wait count from there without
    /// rewriting the record at promotion; a delayed job's creation time goes in the document.
    func recordParts(now: Int64) -> (prefix: [UInt8], suffix: [UInt8]) {
        let o = options
        let joins = max(now, o.runAt ?? now)
        var prefix = "\(o.queue) \(o.priority) \(o.maxAttempts) \(o.resultTTL.milliseconds) \(o.failureTTL.milliseconds) \(joins)\n"
        prefix += "{\"name\":"
        JSONWriter.quote(name, into: &prefix)
        prefix += ",\"args\":"
        // Defaults are left out (the default backoff, a creation time equal to the header's
        // enqueue time): every byte of a record is copied and stored once per job.
        var suffix = ""
        let b = o.backoff
        if b != .standard {
            suffix += ",\"backoff\":{\"base\":\(JSONWriter.number(b.base.seconds)),\"factor\":\(JSONWriter.number(b.factor)),"
            suffix += "\"cap\":\(JSONWriter.number(b.cap.seconds)),\"jitter\":\(JSONWriter.number(b.jitter))}"
        }
        if let soft = o.softTimeLimit { suffix += ",\"soft_time_limit\":\(JSONWriter.number(soft.seconds))" }
        if let hard = o.timeLimit { suffix += ",\"time_limit\":\(JSONWriter.number(hard.seconds))" }
        if let key = o.uniqueKey {
            suffix += ",\"unique_key\":"
            JSONWriter.quote(key, into: &suffix)
        }
        if joins != now { suffix += ",\"created_at\":\(now)" }
        suffix += "}"
        return (Array(prefix.utf8), Array(suffix.utf8))
    }

    /// Whether two requests share a record template (all but the arguments).
    func sameTemplate(as other: EnqueueRequest) -> Bool {
        name == other.name && options == other.options
    }

    /// Whether the request can take the MULTI/EXEC fast path: a minted id, no unique key, due now.
    func isPlain(now: Int64) -> Bool {
        options.id == nil && options.uniqueKey == nil && (options.runAt ?? 0) <= now
    }
}

/// What enqueueing one request did.
public struct EnqueueResult: Sendable, Equatable {
    /// The new job's id, or the live job's id for a duplicate unique key.
    public var id: JobID
    /// `queued` or `scheduled` for a new job.
    public var state: JobState?
    /// True when a live job already held the unique key (its id is returned).
    public var duplicate: Bool
    /// True when a job with this id existed already and is the job the request describes (the
    /// same name, arguments and options; times aside): the call repeated an earlier one, and
    /// wrote nothing.
    public var repeated = false
}
