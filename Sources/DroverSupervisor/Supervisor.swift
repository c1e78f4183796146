import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Logging

/// The master: one thread, a `poll(2)` loop over the signal pipe, the children's doorbell and timers,
/// and a short list of named steps per pass (gunicorn `Arbiter.run`, Unicorn `join`).
///
/// It never starts a thread, a Task or Dispatch work, because it forks (docs/platform.md: a child
/// forked from a multi-threaded process can hang). Every Redis call it makes has a short
/// timeout, so a Redis outage delays the loop by at most that much.
public final class Supervisor {
    /// How to run.
    public struct Options {
        /// The pools, Redis and shutdown settings.
        public var config: DroverConfig
        /// Where children connect (each opens its own connections after the fork).
        public var redis: RedisClient.Options
        /// The master's own connection (recovering jobs, PING): give it short timeouts, since
        /// every call blocks the loop. Defaults to `redis` with 250 ms / 500 ms timeouts.
        public var masterRedis: RedisClient.Options
        /// What pool children run.
        public var role: ChildRole
        /// Singleton children beside the pools (the scheduler, the HTTP server), for a config;
        /// asked again after each reload. Each runs once, is restarted with backoff when it dies,
        /// and gets TERM on stop. None run in burst mode.
        public var services: (DroverConfig) -> [ChildRole] = { _ in [] }
        /// `--burst`: a child that exits 0 is not replaced, and the master exits once all are gone.
        public var burst = false
        /// `--name`, passed to children.
        public var name: String?
        /// Re-reads the config for HUP; throws when the new file is invalid (the old one stays).
        public var reload: () throws -> DroverConfig
        /// Reopens log files for USR1 (logrotate).
        public var reopenLogs: @Sendable () -> Void = {}
        /// The environment, for `WATCHDOG_USEC`.
        public var environment: [String: String] = [:]
        /// The lease children take on their jobs.
        public var lease: Duration = .seconds(30)
        /// An idle child silent this long is killed as hung (it beats about once a second).
        public var hungTimeout: Duration = .seconds(30)
        /// Backoff for children that die young.
        public var restartBackoff = RestartBackoff()
        /// Drop clean file pages from the master's resident set after each READY, and again when
        /// rare events have faulted more in (``Supervisor/releaseGrownPages()``).
        /// `DROVER_RELEASE_PAGES=0` in ``environment`` turns it off.
        public var releaseCleanPages = true

        /// Creates options; `reload` defaults to keeping `config`.
        public init(config: DroverConfig, redis: RedisClient.Options, role: ChildRole, reload: (() throws -> DroverConfig)? = nil) {
            self.config = config
            self.redis = redis
            var master = redis
            master.connectTimeout = .milliseconds(250)
            master.commandTimeout = .milliseconds(500)
            self.masterRedis = master
            self.role = role
            self.reload = reload ?? { config }
        }
    }

    /// Where the master is in its life.
    enum Phase: Equatable {
        case running
        /// TERM/INT: children finish their jobs until `deadline`, then are killed.
        case stopping(deadline: MonotonicClock.Instant)
        /// QUIT, a second TERM, or the graceful timeout: children are killed, jobs recovered.
        case stoppingCold
    }

    var options: Options
    var config: DroverConfig
    let logger: Logger
    let masterPID = Posix.getpid()
    var signalPipe: SignalPipe?
    /// Rung by children whose news cannot wait for the next regular wake-up (``MasterChannel``).
    /// The master keeps the write end open, so the read end never reports a hang-up.
    var doorbell: Pipe?
    var children: [ProcessID: ChildProcess] = [:]
    /// Children this process had before it became the master (a shell's `exec drover worker`
    /// keeps the shell's background jobs): not orphans of a Drover child, so never killed.
    var childrenBeforeStart: Set<ProcessID> = []
    var phase = Phase.running
    /// TTIN/TTOU (every pool) and `drover control scale` (one pool): children added to, or
    /// taken from, a pool's configured size.
    var poolScale: [String: Int] = [:]
    /// The service children wanted now (see ``Options/services``).
    var services: [ChildRole] = []
    /// Services that exited 78 (their config is unusable): not forked again until a reload.
    var refusedServices: Set<String> = []
    /// Counter increments not yet written to Redis (see ``SupervisorCounter``).
    var pendingIncrements: [CounterKey: Int] = [:]
    var nextPublish = MonotonicClock.now()
    let hostName = Posix.hostName()
    let startedAt = WallClock.nowMilliseconds()
    var backoffs: [String: RestartBackoff] = [:]
    var spawnNotBefore: [String: MonotonicClock.Instant] = [:]
    /// Burst: pools whose children ran out of work.
    var drainedPools: Set<String> = []
    var jobsDone = 0
    let store: JobStore
    var redisState = RedisState.unknown
    var nextRedisCheck = MonotonicClock.now()
    var redisFailures = 0
    /// Jobs of dead children that could not be recovered while Redis was down.
    var pendingRecoveries: [(id: JobID, lease: Int, error: JobError, retryAt: Int64)] = []
    /// Dead children's fetching calls to check when Redis answers again (see `releaseLostFetch`).
    var pendingLostFetches: [(spec: FetchSpec, clocks: [Int64], child: String)] = []
    let notifier: SystemdNotifier
    var readySent = false
    var reloading = false
    var lastStatus = ""
    var nextStatus = MonotonicClock.now()
    var nextWatchdog: MonotonicClock.Instant?
    var nextHealthCheck = MonotonicClock.now()
    var pageRelease = PageReleaseState.settling
    var nextMemoryCheck = MonotonicClock.now()

    /// Prepares a master; nothing starts until ``run()``.
    /// - Parameters:
    ///   - options: what to run.
    ///   - logger: the master's logger (its handler writes synchronously).
    public init(options: Options, logger: Logger) {
        self.options = options
        self.config = options.config
        self.logger = logger
        store = JobStore(client: RedisClient(options: options.masterRedis), prefix: options.config.redis.prefix)
        notifier = SystemdNotifier(environment: options.environment, pid: Posix.getpid())
        if options.environment["DROVER_RELEASE_PAGES"] == "0" { self.options.releaseCleanPages = false }
    }

    /// Runs until stopped. Call from the main thread of a process with no other thread.
    /// - Returns: the exit status: 0 after a stop or a drained burst.
    /// - Throws: `SystemError` when the signal pipe cannot be installed or `poll(2)` fails.
    public func run() throws -> Int32 {
        signalPipe = try SignalPipe(signals: [.term, .int, .quit, .hup, .usr1, .ttin, .ttou, .chld])
        doorbell = try Pipe(nonBlockingRead: true, nonBlockingWrite: true)
        try? Posix.ignore(.pipe)
        // Orphaned grandchildren (a program a killed child had started) come back to the master
        // to be reaped, instead of to init.
        try? Posix.setChildSubreaper()
        childrenBeforeStart = Set(Posix.liveChildren(of: masterPID))
        nextWatchdog = notifier.watchdogInterval.map { MonotonicClock.now().advanced(by: $0) }
        services = options.burst ? [] : options.services(config)
        logger.info("master \(masterPID) starting: \(poolSummary)")
        while true {
            try poll()
            readChildren()
            reapChildren()
            handleSignals()
            enforceTimeLimits()
            watchChildren()
            if finishStop() { break }
            maintainPools()
            checkRedis()
            publishRecord()
            notifySystemd()
            releaseGrownPages()
        }
        unregister()
        logger.info("master \(masterPID) exiting after \(jobsDone) job(s)")
        signalPipe?.restoreDefaults()
        return 0
    }

    /// Sleeps until a signal, the doorbell, or the next timer. Children's pipes are not watched:
    /// each pass reads them all (``MasterChannel`` says why).
    private func poll() throws(SystemError) {
        var poller = Poller()
        if let signalPipe { poller.add(signalPipe.readFD) }
        if let doorbell { poller.add(doorbell.readEnd) }
        _ = try poller.poll(until: nextWake())
    }

    /// The earliest timer: a time limit, the graceful deadline, a delayed spawn, the watchdog,
    /// a Redis check. At most ``ChildMessage/masterLongestSleep``: children count on reading
    /// within that.
    private func nextWake() -> MonotonicClock.Instant {
        let now = MonotonicClock.now()
        var wake = now.advanced(by: ChildMessage.masterLongestSleep)
        func consider(_ instant: MonotonicClock.Instant?) {
            if let instant, instant < wake { wake = instant }
        }
        // Retiring children (TERM sent, finishing their job) still have their limits enforced.
        for child in children.values where child.leaving == nil || child.leaving == .retiring {
            consider(child.job?.limits.nextDeadline)
        }
        if case let .stopping(deadline) = phase { consider(deadline) }
        if phase == .running {
            for instant in spawnNotBefore.values where instant > now { consider(instant) }
        }
        consider(nextRedisCheck)
        consider(nextHealthCheck)
        if redisState == .ok { consider(nextPublish) }
        // `notifySystemd` moves these two forward only while running: during a stop they would
        // stay in the past and turn this loop into a busy spin.
        if phase == .running {
            consider(nextWatchdog)
            if statusLine != lastStatus { consider(nextStatus) }
        }
        return wake
    }

    var poolSummary: String {
        var summary = config.pools.map { "\($0.name) [\($0.queues.joined(separator: ", "))] ×\(wantedCount($0))" }.joined(separator: "; ")
        if !services.isEmpty { summary += "; with " + services.map(\.name).joined(separator: ", ") }
        return summary
    }
}

/// What the master last saw of Redis.
enum RedisState: Equatable {
    case unknown
    case ok
    case unavailable(String)

    var summary: String {
        switch self {
        case .unknown: return "Redis not yet checked"
        case .ok: return "Redis ok"
        case let .unavailable(reason): return "Redis unavailable (\(reason))"
        }
    }
}
