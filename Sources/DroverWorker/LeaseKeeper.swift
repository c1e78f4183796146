import Dispatch
import DroverCore
import DroverQueue
import Foundation
import Logging
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
///
/// A second thread, the watchdog, makes no Redis call (a renewal may block for the client's
/// command timeout while the network is cut): when the lease was not renewed in time it cancels
/// the run, then ends the process before the lease can expire (`LeaseStop`), so a run that
/// recovery hands to another worker never runs twice at once.
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
        /// When the call that last set the lease was sent (the fetch, or a renewal that
        /// succeeded): `LeaseStop` counts from here.
        var leaseSetAt: ContinuousClock.Instant
        /// When the watchdog cancelled the run because its lease was not renewed.
        var leaseCancelledAt: ContinuousClock.Instant?
    }

    private let condition = NSCondition()
    private var running: Running?
    private var stopped = false
    private var lastFailure: ContinuousClock.Instant?
    private let store: Mutex<JobStore>
    private let leaseMilliseconds: Int64
    private let renewInterval: Duration
    private let cancelGrace: Duration
    private let logger: Logger
    /// Wakes the watchdog at shutdown. Else it wakes at least once per renew interval: no run
    /// reaches its `LeaseStop.cancelAt` within one interval of its start (the interval is at most
    /// a third of the lease), so a run or renewal needs no wake-up of its own, and the hot path
    /// none. A semaphore's timed wait runs on the monotonic clock, where `NSCondition`'s
    /// follows the wall clock.
    private let watchdogWake = DispatchSemaphore(value: 0)
    init(store: sending JobStore, leaseMilliseconds: Int64, renewInterval: Duration, cancelGrace: Duration,
         logger: Logger = Logger(label: "drover.lease")) {
        self.store = Mutex(store)
        self.leaseMilliseconds = leaseMilliseconds
        self.renewInterval = renewInterval
        self.cancelGrace = cancelGrace
        self.logger = logger
        let thread = Thread { [self] in loop() }
        thread.name = "drover-lease"
        thread.start()
        let watchdog = Thread { [self] in watch() }
        watchdog.name = "drover-lease-watch"
        watchdog.start()
    }

    /// A job starts. `enforcing`: this keeper times the soft limit (a standalone worker); else
    /// the master does, and signals (`cancel(.softTimeLimit)`).
    /// - Parameter leaseSetAt: when the call that took the job (and set its lease) was sent.
    func begin(_ job: FetchedJob, softLimit: Duration?, enforcing: Bool, leaseSetAt: ContinuousClock.Instant = .now) {
        condition.lock()
        let now = ContinuousClock.now
        running = Running(job: job, task: nil, started: now, softDeadline: enforcing ? softLimit.map { now + $0 } : nil,
                          softLimit: softLimit, lastRenewal: min(leaseSetAt, now), reason: nil, cancelSeenAt: nil,
                          leaseSetAt: min(leaseSetAt, now), leaseCancelledAt: nil)
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

    /// When a renewal last failed to reach Redis: the worker's loop may not have seen that
    /// outage, and recovery waits a lease after it too.
    var lastRenewalFailure: ContinuousClock.Instant? {
        condition.lock()
        defer { condition.unlock() }
        return lastFailure
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

    /// The run's lease ran out here (the watchdog's `LeaseStop.end`): its exec programs are
    /// killed and the process ends at once, writing nothing (Redis cannot be reached, and the
    /// run is recovery's now); a supervisor replaces the process.
    private func leaseRanOut(_ job: FetchedJob) -> Never {
        logger.error("job \(job.id): its lease was not renewed in time and the run did not stop when cancelled; ending this process before the lease can expire, so that the run cannot overlap its recovery",
                     metadata: ["job_id": "\(job.id)"])
        ExecPrograms.killAll()
        fflush(nil)
        _exit(75)
    }

    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        watchdogWake.signal()
    }

    /// The watchdog: cancels a run whose lease was not renewed in time, then ends the process
    /// (`LeaseStop`). Never calls Redis, so a renewal blocked on a cut network cannot delay it.
    private func watch() {
        let lease = Duration.milliseconds(leaseMilliseconds)
        while true {
            condition.lock()
            if stopped {
                condition.unlock()
                return
            }
            var wake = ContinuousClock.now + renewInterval
            if let current = running {
                let stop = LeaseStop(leaseSetAt: current.leaseSetAt, lease: lease, cancelGrace: cancelGrace)
                switch stop.action(now: .now, cancelledAt: current.leaseCancelledAt) {
                case .wait(let until):
                    wake = min(wake, until)
                case .cancel:
                    running?.leaseCancelledAt = .now
                    if Self.replaces(.leaseLost, current.reason) {
                        running?.reason = .leaseLost
                        running?.cancelSeenAt = .now
                    }
                    let task = current.task
                    condition.unlock()
                    logger.warning("job \(current.job.id): its lease could not be renewed; cancelling it before the lease can expire",
                                   metadata: ["job_id": "\(current.job.id)"])
                    task?.cancel()
                    continue
                case .end:
                    condition.unlock()
                    leaseRanOut(current.job)
                }
            }
            condition.unlock()
            let left = ContinuousClock.now.duration(to: wake)
            let nanoseconds = max(0, left.components.seconds * 1_000_000_000 + left.components.attoseconds / 1_000_000_000)
            _ = watchdogWake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
        }
    }

    private func loop() {
        condition.lock()
        while !stopped {
            let now = ContinuousClock.now
            var wake = now + renewInterval
            if var current = running {
                // A run that began while this thread slept is renewed one interval after its
                // fetch, not up to two.
                wake = min(wake, current.lastRenewal + renewInterval)
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
                    // Taken before the call computes the new deadline: the lease then runs at
                    // least until `sent` plus a lease.
                    let sent = ContinuousClock.now
                    let status = store.withLock { store in try? store.renew(job, leaseMilliseconds: leaseMilliseconds) }
                    condition.lock()
                    if status == nil { lastFailure = .now }
                    if running?.job.id == job.id, running?.job.lease == job.lease {
                        if status == .held || status == .cancelRequested, let previous = running?.leaseSetAt {
                            running?.leaseSetAt = max(previous, sent)
                        }
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
