/// Where a job is in its life (README "Concepts"). Every transition is one Lua script.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for its time: delayed, or a retry's backoff.
    case scheduled
    /// Waiting in its queue for a worker.
    case queued
    /// Held by a worker under a lease.
    case started
    /// Ended with a result.
    case finished
    /// Ended with an error after its attempts, or with a permanent error.
    case failed
    /// Cancelled before or while it ran.
    case canceled

    /// Whether the job can still run (a unique key stays taken while it is live).
    public var isLive: Bool { self == .scheduled || self == .queued || self == .started }

    /// Whether the job has ended.
    public var isTerminal: Bool { !isLive }
}
