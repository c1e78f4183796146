import DroverCore
import DroverQueue
import Foundation
import Synchronization

/// Why a running job's Task was cancelled.
enum StopReason: Sendable, Equatable {
    case cancelRequested
    case softTimeLimit
    case leaseLost
}

/// A thread beside the job, with its own Redis connection: it renews the lease of a job that
/// runs longer than the renew interval (so even a CPU-bound handler keeps its lease), notices a
/// cancel request at the same time, and cancels the job's Task at its soft time limit when no
/// supervisor does. Short jobs cost it nothing: it only wakes when a job outlives the interval.
final class LeaseKeeper: @unchecked Sendable {
    struct Running {
        var job: FetchedJob
        var task: Task<Result<String, any Error>, Never>?
        var started: ContinuousClock.Instant
        var softDeadline: ContinuousClock.Instant?
        /// The run's soft limit, enforced here or by the master (see `cancel`).
        var softLimit: Duration?
        var lastRenewal: ContinuousClock.Instant
        var reason: StopReason?
        var cancelSeenAt: ContinuousClock.Instant?
    }

    private let condition = NSCondition()
    private var running: Running?
    private var stopped = false
    private let store: Mutex<JobStore>
    private let leaseMilliseconds: Int64
    private let renewInterval: Duration
    private let cancelGrace: Duration
    init(store: sending JobStore, leaseMilliseconds: Int64, renewInterval: Duration, cancelGrace: Duration) {
        self.store = Mutex(store)
        self.leaseMilliseconds = leaseMilliseconds
        self.renewInterval = renewInterval
        self.cancelGrace = cancelGrace
        let thread = Thread { [self] in loop() }
        thread.name = "drover-lease"
        thread.start()
    }

    /// A job starts. `enforcing`: this keeper times the soft limit (a standalone worker); else
    /// the master does, and signals (`cancel(.softTimeLimit)`).
    func begin(_ job: FetchedJob, softLimit: Duration?, enforcing: Bool) {
        condition.lock()
        let now = ContinuousClock.now
        running = Running(job: job, task: nil, started: now, softDeadline: enforcing ? softLimit.map { now + $0 } : nil,
                          softLimit: softLimit, lastRenewal: now, reason: nil, cancelSeenAt: nil)
        condition.unlock()
    }

    /// The job's Task exists (it can be cancelled from now on).
    func attach(_ task: Task<Result<String, any Error>, Never>) {
        condition.lock()
        running?.task = task
        let reason = running?.reason
        condition.unlock()
        if reason != nil { task.cancel() }
    }

    /// The job ended. Returns why its Task was cancelled, if it was.
    func end() -> StopReason? {
        condition.lock()
        let reason = running?.reason
        running = nil
        condition.unlock()
        return reason
    }

    /// Cancels the running job for `reason` (from a signal handler's dispatch source, say).
    ///
    /// A soft limit cancels only a run that has reached it: the master's USR1 for a job that
    /// ended just before it came must not cancel the next one (the master times the limit from
    /// the job's `start` line, which comes just before this keeper's start; 100 ms of slack).
    func cancel(_ reason: StopReason) {
        condition.lock()
        if reason == .softTimeLimit, let current = running,
           current.softLimit.map({ ContinuousClock.now - current.started < $0 - .milliseconds(100) }) ?? true {
            condition.unlock()
            return
        }
        if running != nil, Self.replaces(reason, running?.reason) {
            running?.reason = reason
            running?.cancelSeenAt = .now
        }
        let task = running?.task
        condition.unlock()
        task?.cancel()
    }

    /// Whether a new stop reason replaces the current one. A cancel request outranks a soft
    /// limit: the job must end `canceled`, and a handler that ignored the soft limit must not
    /// escape the cancel's grace period too. Nothing replaces a lost lease.
    static func replaces(_ new: StopReason, _ current: StopReason?) -> Bool {
        guard let current else { return true }
        return new == .cancelRequested && current == .softTimeLimit
    }

    /// Reports progress through the keeper's connection.
    func report(_ job: FetchedJob, percent: Double, noteJSON: String) {
        store.withLock { store in
            try? store.progress(job, percent: percent, noteJSON: noteJSON)
        }
    }

    /// The handler ignored a cancel for the whole grace period: record the job as canceled
    /// (fenced by its lease) and end this process, the only way to stop a handler that does not
    /// cooperate; a supervisor replaces the process.
    private func graceExpired(_ job: FetchedJob) -> Never {
        let error = JobError(type: "Canceled", message: "canceled while running; it did not stop within \(cancelGrace), so its worker process was ended")
        store.withLock { store in _ = try? store.finish(job, .canceled(error), next: nil) }
        fflush(nil)
        _exit(75)
    }

    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while !stopped {
            let now = ContinuousClock.now
            var wake = now + renewInterval
            if var current = running {
                if let deadline = current.softDeadline, current.reason == nil {
                    if now >= deadline {
                        current.reason = .softTimeLimit
                        current.cancelSeenAt = now
                        running = current
                        current.task?.cancel()
                    } else {
                        wake = min(wake, deadline)
                    }
                }
                if let seen = current.cancelSeenAt, current.reason == .cancelRequested, now - seen >= cancelGrace {
                    // The handler ignored cancellation: record the outcome, then let the owner
                    // end the process (a supervisor replaces it).
                    let job = current.job
                    condition.unlock()
                    graceExpired(job)
                } else if now - current.lastRenewal >= renewInterval {
                    running?.lastRenewal = now
                    let job = current.job
                    condition.unlock()
                    let status = store.withLock { store in try? store.renew(job, leaseMilliseconds: leaseMilliseconds) }
                    condition.lock()
                    if running?.job.id == job.id, running?.job.lease == job.lease {
                        switch status {
                        case .cancelRequested?:
                            if Self.replaces(.cancelRequested, running?.reason) {
                                running?.reason = .cancelRequested
                                running?.cancelSeenAt = .now
                                running?.task?.cancel()
                            }
                            wake = min(wake, .now + cancelGrace)
                        case .lost?:
                            if running?.reason == nil {
                                running?.reason = .leaseLost
                                running?.task?.cancel()
                            }
                        default:
                            break
                        }
                    }
                }
            }
            let seconds = max(0.001, Double((wake - .now).components.attoseconds) / 1e18 + Double((wake - .now).components.seconds))
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
        condition.unlock()
    }
}

extension LeaseKeeper: ProgressReporter {
    func report(percent: Double, noteJSON: String) {
        condition.lock()
        let job = running?.job
        condition.unlock()
        if let job { report(job, percent: percent, noteJSON: noteJSON) }
    }
}
