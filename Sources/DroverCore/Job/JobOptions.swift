/// What a producer may set when it enqueues a job (README "Concepts").
public struct JobOptions: Sendable, Equatable {
    /// The queue; `default` unless set.
    public var queue: String = "default"
    /// Higher runs first; FIFO among equals. Range -1000...1000.
    public var priority: Int = 0
    /// Run no earlier than this time (milliseconds since the epoch); nil runs now.
    public var runAt: Int64?
    /// While a job with this key is scheduled, queued or started, enqueueing another with the same
    /// key returns the live job's id instead.
    public var uniqueKey: String?
    /// How many times the job may run before it fails for good (the first run counts).
    public var maxAttempts: Int = 25
    /// The wait between attempts.
    public var backoff: Backoff = .standard
    /// When the job is asked to stop (its Task is cancelled).
    public var softTimeLimit: TimeSpan?
    /// When the job's child is killed.
    public var timeLimit: TimeSpan?
    /// How long a finished job and its result are kept (RQ's default: 500 s).
    public var resultTTL: TimeSpan = .seconds(500)
    /// How long a failed job stays in the failed registry.
    public var failureTTL: TimeSpan = .hours(24 * 30)
    /// A caller-chosen id; minted when nil.
    public var id: JobID?

    /// The default options.
    public init() {}

    /// The allowed priorities: they are packed with a sequence number into one sorted-set score.
    public static let priorityRange = -1000...1000

    /// Why these options cannot be used, or nil.
    public var problem: String? {
        if !QueueName.isValid(queue) { return "invalid queue name \"\(queue)\": use letters, digits, '_', '-', '.' or ':' (at most 100)" }
        if !JobOptions.priorityRange.contains(priority) { return "priority \(priority) is outside -1000...1000" }
        if maxAttempts < 1 { return "max_attempts must be at least 1" }
        if let id, !id.isWellFormed { return "invalid job id \"\(id)\"" }
        if let key = uniqueKey, key.isEmpty || key.utf8.count > 500 { return "unique key must be 1 to 500 bytes" }
        if let soft = softTimeLimit, let hard = timeLimit, soft >= hard {
            return "soft_time_limit (\(soft)) must be shorter than time_limit (\(hard))"
        }
        return nil
    }
}

/// Queue names: short tokens that are safe inside Redis keys and URLs.
public enum QueueName {
    /// Whether `name` may name a queue.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 100 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D || byte == 0x2E || byte == 0x3A
        }
    }
}
