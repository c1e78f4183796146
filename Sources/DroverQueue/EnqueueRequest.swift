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
        let o = options
        var out = "\(o.queue) \(o.priority) \(o.maxAttempts) \(o.resultTTL.milliseconds) \(o.failureTTL.milliseconds) \(now)\n"
        out += "{\"name\":"
        JSONWriter.quote(name, into: &out)
        out += ",\"args\":"
        out += argsJSON
        let b = o.backoff
        out += ",\"backoff\":{\"base\":\(JSONWriter.number(b.base.seconds)),\"factor\":\(JSONWriter.number(b.factor)),"
        out += "\"cap\":\(JSONWriter.number(b.cap.seconds)),\"jitter\":\(JSONWriter.number(b.jitter))}"
        if let soft = o.softTimeLimit { out += ",\"soft_time_limit\":\(JSONWriter.number(soft.seconds))" }
        if let hard = o.timeLimit { out += ",\"time_limit\":\(JSONWriter.number(hard.seconds))" }
        if let key = o.uniqueKey {
            out += ",\"unique_key\":"
            JSONWriter.quote(key, into: &out)
        }
        out += ",\"created_at\":\(now)}"
        return out
    }

    /// Whether two requests make the same record.
    func sameJob(as other: EnqueueRequest) -> Bool {
        name == other.name && argsJSON == other.argsJSON && options == other.options
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
}
