import Dispatch
import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Foundation
import Logging
import Synchronization

/// One worker process's loop: take a job under a lease, run it, record its outcome and take the
/// next in the same round trip; when the queues are empty, block in Redis until a producer's
/// wake-up token arrives. One job at a time: concurrency is the number of worker processes.
///
/// The loop itself is synchronous on the calling thread (a blocking hiredis call in a Task would
/// starve Swift's 2-thread cooperative pool, docs/platform.md); each handler runs in a detached Task
/// that the loop waits for.
public final class Worker {
    /// How the worker runs.
    public struct Options: Sendable {
        /// Queues in strict order.
        public var queues: [String] = ["default"]
        /// The name recorded on jobs: `host:pid` by default.
        public var name: String
        /// How long a run is held before another Drover may recover it. A run whose lease could
        /// not be renewed is stopped before then (see `LeaseTiming`).
        public var lease: Duration = .seconds(30)
        /// How often a long job's lease is renewed (and a cancel request noticed).
        public var renewInterval: Duration = .seconds(1)
        /// How long a cancelled job may take to stop before its process is ended.
        public var cancelGrace: Duration = .seconds(5)
        /// The longest idle block in Redis before the loop looks around (recovery, stop flags).
        public var idleWait: Duration = .seconds(1)
        /// Exit after this many jobs (the supervisor's `max_jobs`).
        public var maxJobs: Int?
        /// Exit when the queues are empty.
        public var burst = false
        /// Soft time limit when the job sets none.
        public var defaultSoftTimeLimit: Duration?
        /// Hard time limit when the job sets none (enforced by a supervisor, which kills).
        public var defaultTimeLimit: Duration?
        /// Who hears about job starts and ends (the supervisor's pipe), if anyone.
        public var events: (any WorkerEvents)?
        /// Whether the worker cancels a job at its soft limit itself. A supervisor that times
        /// limits and sends USR1 turns this off.
        public var enforcesSoftLimit = true

        /// Creates options with a `host:pid` name.
        public init(queues: [String] = ["default"]) {
            self.queues = queues
            name = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        }
    }

    /// Why `run` returned.
    public enum Exit: Sendable, Equatable {
        /// `burst`: the queues are empty.
        case drained
        /// `maxJobs` jobs were run.
        case maxJobs
        /// `stop()` was called (TERM: finish the current job, then exit).
        case stopped
    }

    private let store: JobStore
    private let handlers: HandlerRegistry
    private let options: Options
    private let logger: Logger
    private let keeper: LeaseKeeper
    private let stopFlag = Atomic<Bool>(false)
    /// Jobs run so far.
    public private(set) var jobsDone = 0
    private var lastRecovery = ContinuousClock.now
    /// When a call of this worker last failed to reach Redis: recovery waits a lease after it
    /// (`LeaseTiming.holdAfterOutage`).
    private var lastOutage: ContinuousClock.Instant?
    /// Counts for `/metrics`, written about once a second (`JobMetrics`).
    private var metrics = JobMetrics()
    private var nextMetricsFlush = ContinuousClock.now + .seconds(1)
    /// The latest clock a call sent whose reply was lost: later calls send a later one.
    private var lostClockFloor: Int64 = 0

    /// Creates a worker.
    /// - Parameters:
    ///   - redis: client options; the worker opens two connections (its loop and its lease keeper).
    ///   - prefix: the key prefix.
    ///   - handlers: the job names it serves.
    public init(redis: RedisClient.Options, prefix: String, handlers: HandlerRegistry, options: Options, logger: Logger) {
        store = JobStore(client: RedisClient(options: redis), prefix: prefix)
        self.handlers = handlers
        self.options = options
        self.logger = logger
        let keeperStore = JobStore(client: RedisClient(options: redis), prefix: prefix)
        // At least three renewals per lease, so one late wake-up never lets a live run's lease
        // expire (a 1 s lease with a 1 s interval did: its job was recovered and run twice).
        keeper = LeaseKeeper(store: keeperStore, leaseMilliseconds: options.lease.milliseconds,
                             renewInterval: min(options.renewInterval, options.lease / 3), cancelGrace: options.cancelGrace,
                             logger: logger)
    }

    /// Asks the loop to stop after the current job (TERM).
    public func stop() { stopFlag.store(true, ordering: .relaxed) }

    /// Cancels the running job's Task because of its soft time limit (USR1 from the supervisor).
    public func softTimeLimitReached() { keeper.cancel(.softTimeLimit) }

    private var spec: FetchSpec {
        FetchSpec(queues: options.queues, worker: options.name, leaseMilliseconds: options.lease.milliseconds)
    }

    /// Runs jobs until stopped, drained (burst) or `maxJobs`. Blocks the calling thread.
    ///
    /// The loop and each job's handler Task run on this thread through `InlineExecutor`, so a job
    /// costs no hand-off between threads (a Task on the global executor plus a semaphore per job
    /// cost two thread wake-ups per job). The loop's hiredis calls block this thread, which is
    /// harmless in a worker process: while the loop waits on Redis no handler runs.
    public func run() -> Exit {
        let executor = InlineExecutor()
        let result = Mutex<Exit>(.stopped)
        let unchecked = UncheckedSelf(worker: self)
        Task(executorPreference: executor) {
            let exit = await unchecked.worker.loop(executor)
            result.withLock { $0 = exit }
            executor.stop()
        }
        executor.run()
        keeper.shutdown()
        return result.withLock { $0 }
    }

    private func loop(_ executor: InlineExecutor) async -> Exit {
        let exit = await serve(executor)
        flushMetrics()
        return exit
    }

    private func serve(_ executor: InlineExecutor) async -> Exit {
        var next: FetchedJob?
        // When the call that took `next` was sent: its lease runs from there (`LeaseStop`).
        var nextLeaseSetAt = ContinuousClock.now
        // The clocks of fetch calls whose replies were lost (see `JobStore.fetch`).
        var lostFetches: [Int64] = []
        while true {
            if stopFlag.load(ordering: .relaxed) {
                // The finish before the stop may have taken the next job already: it has not
                // started, so it goes back to its queue rather than waiting out its lease.
                if let job = next {
                    releaseUnstarted(job)
                } else if !lostFetches.isEmpty {
                    giveBack(lostFetches)
                }
                return .stopped
            }
            if next == nil {
                let sent = ContinuousClock.now
                let now = callClock()
                options.events?.fetching(clock: now)
                do {
                    next = try store.fetch(spec, now: now, lostCalls: lostFetches)
                    nextLeaseSetAt = sent
                    lostFetches.removeAll()
                } catch {
                    // The call may have run and taken a job: the retry asks for it back.
                    remember(now, failingWith: error, in: &lostFetches)
                    waitForRedis(error)
                    continue
                }
            }
            guard let job = next else {
                if options.burst { return .drained }
                flushMetrics()
                options.events?.heartbeat()
                idle()
                continue
            }
            let startedAt = ContinuousClock.now
            metrics.started(queue: job.queue, name: job.name,
                            waitMicroseconds: job.dueAt.map { WallClock.nowMicroseconds() - $0 * 1000 })
            let outcome = await execute(job, leaseSetAt: nextLeaseSetAt, on: executor)
            let ran = startedAt.duration(to: .now)
            metrics.ended(queue: job.queue, name: job.name, outcome: outcome.metricName,
                          durationMicroseconds: ran.components.seconds * 1_000_000 + ran.components.attoseconds / 1_000_000_000_000)
            if ContinuousClock.now >= nextMetricsFlush { flushMetrics() }
            jobsDone += 1
            let more = !stopFlag.load(ordering: .relaxed) && (options.maxJobs.map { jobsDone < $0 } ?? true)
            (next, nextLeaseSetAt) = record(job, outcome, fetchNext: more)
            options.events?.jobEnded(id: job.id)
            do {
                try recoverExpiredLeasesIfDue()
            } catch {
                lastOutage = .now
                logger.warning("could not recover expired leases: \(error.message)")
            }
            if let maxJobs = options.maxJobs, jobsDone >= maxJobs { return .maxJobs }
        }
    }

    /// Writes an outcome, retrying through Redis outages: a repeated finish is harmless, because
    /// the script is fenced by the run's lease (a second write finds the run already ended).
    ///
    /// A call whose reply was lost may have run, and then it may have taken the next job for
    /// this worker, which never saw it. The retry names each lost call by the clock it sent, and
    /// gets that job back (`JobStore.finish`), so it neither waits out its lease nor counts an
    /// attempt it never ran.
    /// - Returns: the next job, and when the call that took it was sent.
    private func record(_ job: FetchedJob, _ outcome: RunOutcome, fetchNext: Bool) -> (FetchedJob?, ContinuousClock.Instant) {
        var lost: [Int64] = []
        while true {
            let sent = ContinuousClock.now
            let now = callClock()
            if fetchNext { options.events?.fetching(clock: now) }
            do {
                let (_, next, discarded) = try store.finish(job, outcome, next: fetchNext ? spec : nil, now: now, lostCalls: lost)
                switch discarded {
                case .alreadyWritten?:
                    logger.info("outcome already written by the call whose reply was lost", metadata: ["job_id": "\(job.id)"])
                case .takenOver?:
                    logger.warning("outcome discarded: the lease was taken over (the job was recovered and ran again, or its recovery ended it)",
                                   metadata: ["job_id": "\(job.id)"])
                case nil:
                    break
                }
                return (next, sent)
            } catch {
                if fetchNext { remember(now, failingWith: error, in: &lost) }
                waitForRedis(error)
            }
        }
    }

    /// Keeps the clock of a failed call that may have reached Redis (its reply was lost), for
    /// its retry to name. A call refused before it was sent cannot have run. A long run of
    /// timeouts keeps the first (whose clock a run it took carries as its start, however often
    /// retries renewed it) and the last 15.
    private func remember(_ call: Int64, failingWith error: QueueError, in lost: inout [Int64]) {
        switch error.underlying?.code {
        case .connectionRefused?, .unavailable?, .noMaster?, .authentication?, .database?, .invalidURL?, .passwordFile?:
            return
        default:
            break
        }
        lostClockFloor = max(lostClockFloor, call)
        if lost.last == call { return }
        lost.append(call)
        if lost.count > 16 { lost.remove(at: 1) }
    }

    /// The clock a fetching call sends: it names the call if its reply is lost, and a retry
    /// marks the calls it names so that one arriving late takes nothing. So no later call sends
    /// a clock a lost call sent (within one millisecond of a loss, it sends the next one).
    private func callClock() -> Int64 {
        max(Timestamp.nowMilliseconds(), lostClockFloor + 1)
    }

    /// On a stop, a fetch whose reply was lost may hold a job: a fetch naming the lost calls
    /// gets it back (or takes the next job, which goes back the same way), and it is released.
    /// Three tries; after that its lease runs out and any Drover recovers it.
    private func giveBack(_ lostFetches: [Int64]) {
        var lost = lostFetches
        for _ in 0..<3 {
            let now = callClock()
            options.events?.fetching(clock: now)
            do {
                if let job = try store.fetch(spec, now: now, lostCalls: lost) { releaseUnstarted(job) }
                return
            } catch {
                remember(now, failingWith: error, in: &lost)
                waitForRedis(error)
            }
        }
    }

    /// Puts a fetched job that will not run here back in its queue; when Redis cannot be
    /// reached, the job's lease runs out and any Drover recovers it.
    private func releaseUnstarted(_ job: FetchedJob) {
        do {
            try store.release(job)
        } catch {
            logger.warning("could not give back job \(job.id), fetched before the stop: \(error); it is recovered when its lease expires",
                           metadata: ["job_id": "\(job.id)"])
        }
    }

    /// Writes the counts gathered since the last flush; on failure keeps them for the next.
    private func flushMetrics() {
        nextMetricsFlush = .now + .seconds(1)
        guard !metrics.isEmpty else { return }
        let counts = metrics.take()
        do {
            try store.addMetrics(counts)
        } catch {
            metrics.merge(counts)
        }
    }

    private func idle() {
        do {
            try recoverExpiredLeasesIfDue()
            try store.waitForWork(queues: options.queues, timeout: options.idleWait)
        } catch {
            waitForRedis(error)
        }
    }

    /// Puts back jobs whose lease expired (their host is gone), every half lease (0.5–5 s).
    /// Busy workers do it too, between jobs: a pool that is never idle, with no scheduler
    /// running, would otherwise never recover a dead host's jobs. Not within a lease after this
    /// worker's own outage: the holders it was cut off with must get their renewals and late
    /// finishes through first.
    private func recoverExpiredLeasesIfDue() throws(QueueError) {
        guard ContinuousClock.now - lastRecovery > min(.seconds(5), max(.milliseconds(500), options.lease / 2)) else { return }
        if let outage = [lastOutage, keeper.lastRenewalFailure].compactMap(\.self).max(),
           ContinuousClock.now - outage < LeaseTiming.holdAfterOutage(lease: options.lease) { return }
        lastRecovery = .now
        let recovered = try store.recoverExpired()
        if !recovered.isEmpty {
            logger.warning("recovered \(recovered.count) job(s) whose lease expired", metadata: ["job_ids": "\(recovered)"])
        }
    }

    private func waitForRedis(_ error: QueueError) {
        lastOutage = .now
        logger.error("Redis: \(error.message); reconnecting")
        try? store.client.waitUntilConnected(deadline: .now + .seconds(5))
    }

    // MARK: - Running a handler

    private func execute(_ job: FetchedJob, leaseSetAt: ContinuousClock.Instant, on executor: InlineExecutor) async -> RunOutcome {
        let name = job.name
        guard let handler = handlers[name] else {
            return .failed(JobError(type: "UnknownJob", message: "no handler named \"\(name)\" in this worker (it serves: \(handlers.names.joined(separator: ", ")))", permanent: true))
        }
        let limits = JobLimits(document: job.document)
        let context = JobContext(id: job.id, attempt: job.attempt, maxAttempts: handler.retryPolicy?.maxAttempts ?? job.maxAttempts,
                                 queue: job.queue, reporter: keeper)
        // The job's own limits, else its handler's (an exec command's), else the pool's defaults.
        let softLimit = EffectiveLimit.first((limits.soft, .job), (handler.softTimeLimit, .handler), (options.defaultSoftTimeLimit, .pool))
        let soft = softLimit?.duration
        let hard = limits.hard ?? handler.timeLimit ?? options.defaultTimeLimit
        // Killed at its hard limit, it is retried per the handler's policy, which only this
        // process knows: the master, which recovers it, is told the delay now.
        let retry = hard == nil ? nil : Verdict.retryDelay(job: job, handler: handler, unit: .random(in: 0..<1))
        options.events?.jobStarted(id: job.id, lease: job.lease, softTimeLimit: soft, timeLimit: hard,
                                   retryAfterTimeLimit: retry?.duration)
        keeper.begin(job, softLimit: soft, enforcing: options.enforcesSoftLimit, leaseSetAt: leaseSetAt)
        let document = job.document
        let task = Task(executorPreference: executor) { () async -> Result<String, any Error> in
            do {
                return .success(try await handler.invoke(document, context))
            } catch {
                return .failure(error)
            }
        }
        keeper.attach(task)
        let result = await task.value
        let reason = keeper.end()
        return Verdict.outcome(of: result, job: job, handler: handler, stopReason: reason, softLimit: softLimit)
    }
}

extension RunOutcome {
    /// How `JobMetrics` names this ending.
    var metricName: String {
        switch self {
        case .finished: return "finished"
        case .retry: return "retried"
        case .failed: return "failed"
        case .canceled: return "canceled"
        }
    }
}

/// The worker is used by one loop at a time; this lets that loop's Task hold it.
private struct UncheckedSelf: @unchecked Sendable {
    let worker: Worker
}
