import DroverSystem

/// The time limits of one running job, timed by the master (gunicorn `murder_workers`).
///
/// Instants are `CLOCK_MONOTONIC`, which does not advance while the host is suspended
/// (clock_gettime(2)): a laptop or VM that sleeps through a job's limit resumes with the job's
/// clock where it stopped, so a resume never fires a wave of kills. Wall-clock time is never used.
public struct LimitClock: Sendable, Equatable {
    /// What the master should do now.
    public enum Action: Sendable, Equatable {
        /// Nothing yet.
        case none
        /// Soft limit reached: USR1 to the child, once.
        case soft
        /// Hard limit reached: SIGKILL to the child's process group.
        case hard
    }

    /// When the job started.
    public let started: MonotonicClock.Instant
    /// When USR1 is due, if the job has a soft limit.
    public let softDeadline: MonotonicClock.Instant?
    /// When the kill is due, if the job has a hard limit.
    public let hardDeadline: MonotonicClock.Instant?
    /// Whether USR1 was already sent (a soft limit fires once).
    public private(set) var softSent = false

    /// Starts timing a job.
    /// - Parameters:
    ///   - started: when the job started on the monotonic clock (the child's own reading, which the
    ///     line carries, bounded by the child's fork and the line's reading).
    ///   - softMilliseconds: the soft limit, if any.
    ///   - hardMilliseconds: the hard limit, if any.
    public init(started: MonotonicClock.Instant, softMilliseconds: Int64?, hardMilliseconds: Int64?) {
        self.started = started
        softDeadline = softMilliseconds.map { started.advanced(by: .milliseconds($0)) }
        hardDeadline = hardMilliseconds.map { started.advanced(by: .milliseconds($0)) }
    }

    /// The action due at `now`; hard wins over soft.
    /// - Parameter now: the current monotonic time.
    public func action(now: MonotonicClock.Instant) -> Action {
        if let hardDeadline, now >= hardDeadline { return .hard }
        if !softSent, let softDeadline, now >= softDeadline { return .soft }
        return .none
    }

    /// Records that USR1 was sent.
    public mutating func markSoftSent() { softSent = true }

    /// The next instant at which ``action(now:)`` changes, for the poll timeout.
    public var nextDeadline: MonotonicClock.Instant? {
        let soft = softSent ? nil : softDeadline
        switch (soft, hardDeadline) {
        case let (soft?, hard?): return min(soft, hard)
        case let (soft?, nil): return soft
        case let (nil, hard?): return hard
        case (nil, nil): return nil
        }
    }
}
