import DroverCore
import DroverRedis

/// The one error type of DroverQueue: what a store operation could not do.
public struct QueueError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure. Extensible: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// Redis could not be reached: nothing was written (or it is unknown whether it was,
        /// for a connection lost mid-call; Drover's scripts are atomic, so it is all or nothing).
        public static let unavailable = Code(name: "Redis unavailable")
        /// The request is malformed (bad JSON, bad queue name, bad priority).
        public static let invalidRequest = Code(name: "invalid request")
        /// No job has this id.
        public static let notFound = Code(name: "not found")
        /// The job's state does not allow this (cancel a finished job, requeue a queued one).
        public static let refused = Code(name: "refused")
        /// Redis answered with an error (a script error is a bug in Drover: please report it).
        public static let redis = Code(name: "Redis error")
        /// An enqueue was sent but no reply came, and its retry got none either: the jobs in
        /// `unconfirmed` may or may not have been written. Enqueueing them again with the same
        /// ids (and the same name, arguments and options) is safe: a job that exists is returned,
        /// not written twice.
        public static let outcomeUnknown = Code(name: "outcome unknown")
        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// The details.
    public var message: String
    /// The Redis error behind it, if any.
    public var underlying: RedisError?
    /// For `.outcomeUnknown`: the ids of the jobs whose enqueue is not confirmed (the ids they
    /// were sent with), and how many jobs of the call were confirmed.
    public var unconfirmed: [JobID] = []
    public var confirmed = 0

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: RedisError? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    init(_ error: RedisError) {
        self.init(error.isUnavailable ? .unavailable : .redis, error.description, underlying: error)
    }

    public var description: String { message }
}
