/// How long to wait before replacing a child that died young, so a child that crashes at
/// start-up (a bad handler, a broken library) is not re-forked in a tight loop (issue 4: "without
/// a fork storm"). gunicorn stops the whole arbiter on a boot error; Drover keeps trying, slower
/// each time, and says so in `STATUS=`.
///
/// The first early death is replaced at once: one SIGKILL or OOM kill must not delay the
/// replacement. Every further early death in a row doubles the wait, up to ``maximum``. A child
/// that lived ``healthyLifetime`` or more resets the count (one second by default, far
/// longer than a worker takes to come up), and so does one that finished a job: it started up fine, so
/// its death (an operator's or the OOM killer's SIGKILL, a limit) is no start-up crash, and its
/// replacement must come at once. A poison job that kills every child that takes it still backs
/// off: those children die before they finish anything.
public struct RestartBackoff: Sendable, Equatable {
    /// The wait after the second early death in a row.
    public var initial: Duration
    /// The longest wait.
    public var maximum: Duration
    /// A child that lived this long was healthy: its death starts the count afresh.
    public var healthyLifetime: Duration
    /// Early deaths in a row.
    public private(set) var failures = 0

    /// Creates a backoff.
    /// - Parameters:
    ///   - initial: the second early death's wait.
    ///   - maximum: the cap.
    ///   - healthyLifetime: how long a child must live to reset the count.
    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(10), healthyLifetime: Duration = .seconds(1)) {
        self.initial = initial
        self.maximum = maximum
        self.healthyLifetime = healthyLifetime
    }

    /// Records an unexpected death and returns how long to wait before the replacement.
    /// - Parameters:
    ///   - lifetime: how long the child lived.
    ///   - finishedJobs: whether it finished at least one job first.
    /// - Returns: zero, or the wait for a crash loop.
    public mutating func recordDeath(lifetime: Duration, finishedJobs: Bool = false) -> Duration {
        if lifetime >= healthyLifetime || finishedJobs {
            failures = 0
            return .zero
        }
        failures += 1
        return delay(forFailures: failures)
    }

    /// Forgets earlier deaths (a child lived long enough).
    public mutating func reset() { failures = 0 }

    /// Whether children keep dying young: worth reporting in the log and `STATUS=`.
    public var isCrashLooping: Bool { failures >= 3 }

    /// The wait after `failures` early deaths in a row.
    public func delay(forFailures failures: Int) -> Duration {
        guard failures > 1 else { return .zero }
        var wait = initial
        for _ in 2..<failures {
            wait *= 2
            if wait >= maximum { return maximum }
        }
        return min(wait, maximum)
    }
}
