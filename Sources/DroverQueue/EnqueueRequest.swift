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

    /// The immutable part of the job, stored as one JSON field: written with `JSONWriter`, not
    /// `JSONEncoder`, because batched enqueue builds hundreds of thousands of these a second.
    func document(createdAt: Int64) -> String {
        var out = "{\"name\":"
        JSONWriter.quote(name, into: &out)
        let b = options.backoff
        out += ",\"backoff\":{\"base\":\(JSONWriter.number(b.base.seconds)),\"factor\":\(JSONWriter.number(b.factor)),"
        out += "\"cap\":\(JSONWriter.number(b.cap.seconds)),\"jitter\":\(JSONWriter.number(b.jitter))}"
        if let soft = options.softTimeLimit { out += ",\"soft_time_limit\":\(JSONWriter.number(soft.seconds))" }
        if let hard = options.timeLimit { out += ",\"time_limit\":\(JSONWriter.number(hard.seconds))" }
        out += ",\"created_at\":\(createdAt)}"
        return out
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
