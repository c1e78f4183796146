import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Foundation
import Logging

/// The scheduler (issue 5): promotes delayed jobs on time, fires periodic jobs once per tick,
/// recovers jobs whose lease expired, and sweeps expired records. Runs as `drover scheduler`
/// and as the supervisor's scheduler child; any number may run against one Redis.
///
/// It never polls Redis on a timer. It knows the next instant anything is due (the earliest
/// scheduled job across queues, each entry's next tick, the next sweep) and sleeps in `poll(2)`
/// until exactly then, on two descriptors: its signal pipe, and a connection blocked in `BLPOP`
/// on the wake list, which an enqueue pushes to when it schedules a job earlier than its queue's
/// first (`WakeListener`). Each promotion call also returns the next due time, so a wake-up
/// costs one round trip.
///
/// Synchronous on purpose: it makes blocking hiredis calls, which must not run on Swift's
/// cooperative pool (docs/platform.md), and it owns two connections (the store's and the listener's).
///
/// Several schedulers are safe because every step is one atomic script: promotion moves an id
/// out of `scheduled:Q` in the script that queues it; a tick is fired by the script that first
/// moves its entry's last-fired mark past it (`JobStore.fire`).
public final class Scheduler {
    /// What the scheduler does and how often.
    public struct Options: Sendable {
        /// The key prefix.
        public var prefix: String = "drover"
        /// The periodic entries of the config.
        public var periodic: [PeriodicEntry] = []
        /// How old a missed tick may be and still fire on start-up.
        public var catchUp: TimeSpan = SchedulerConfig.defaultCatchUp
        /// How often expired leases are recovered and expired records swept.
        public var sweepInterval: Duration = .seconds(5)
        /// The workers' lease: after an outage of its own, the scheduler recovers no expired
        /// lease for this long (`LeaseTiming.holdAfterOutage`), so that the workers cut off with
        /// it get their renewals and late finishes through first.
        public var lease: Duration = .seconds(30)
        /// How long a supervisor may be silent before its record is pruned as dead.
        public var supervisorRetention: Duration = .seconds(300)
        /// The most jobs one promotion call moves (the call repeats while more are due).
        public var promoteLimit = 2000
        /// How often `beat` is called.
        public var beatInterval: Duration = .seconds(1)
        /// Called about once a second, so a supervising master knows this process is alive.
        public var beat: (@Sendable () -> Void)?
        /// The signals that stop the scheduler.
        public var stopSignals: [DroverSystem.Signal] = [.term, .int]
        /// When set, HUP reopens the log file with it (a supervised scheduler: the master passes
        /// logrotate's USR1 on as HUP).
        public var reopenLogs: (@Sendable () -> Void)?
        /// When set, the scheduler stops once its parent is no longer this process.
        public var masterPID: ProcessID?

        /// Default options.
        public init() {}
    }

    let options: Options
    let store: JobStore
    let listener: WakeListener
    var logger: Logger

    /// When the earliest scheduled job is due (ms since the epoch), as of the last promotion.
    var nextDue: Int64?
    /// Whether to promote on the next turn whatever `nextDue` says (start-up, a wake token).
    var promoteNow = true
    var nextSweep: Int64 = 0
    /// Per periodic entry: the last tick dealt with, and the next one.
    var cursors: [Date] = []
    var nextTicks: [CronTick?] = []
    var started = false
    /// Set while Redis is unreachable: when to try again, and whether it was logged.
    var retryAt: Int64?
    /// When a call last failed to reach Redis (recovery waits a lease after it).
    var lastOutage: ContinuousClock.Instant?
    /// Jobs promoted and ticks fired by this process (for logs and tests).
    public internal(set) var promoted = 0
    public internal(set) var fired = 0

    /// Creates a scheduler; nothing is connected until `run`.
    /// - Parameters:
    ///   - redis: where Redis is (two connections are opened).
    ///   - options: the options.
    ///   - logger: the logger.
    public init(redis: RedisClient.Options, options: Options, logger: Logger) {
        self.options = options
        store = JobStore(client: RedisClient(options: redis), prefix: options.prefix)
        listener = WakeListener(options: redis, keys: store.keys)
        self.logger = logger
    }

    /// Runs until a stop signal arrives (or the master is gone).
    /// - Throws: `SystemError` when the signal pipe cannot be installed or `poll(2)` fails.
    public func run() throws(SystemError) {
        let signals = try SignalPipe(signals: options.stopSignals + (options.reopenLogs == nil ? [] : [.hup]))
        defer { signals.restoreDefaults() }
        var nextBeat = MonotonicClock.now()
        while true {
            let wake = turn()
            let now = MonotonicClock.now()
            if now >= nextBeat {
                options.beat?()
                nextBeat = now.advanced(by: options.beatInterval)
                if let master = options.masterPID, Posix.getppid() != master {
                    logger.warning("scheduler stopping: its master \(master) is gone")
                    return
                }
            }
            // Sleep until the next due instant, to the millisecond, or the next beat.
            let waitNanoseconds = max(0, wake * 1_000_000 - WallClock.nowMicroseconds() * 1000)
            let deadline = min(now.advanced(by: .nanoseconds(waitNanoseconds)), nextBeat)
            var poller = Poller()
            poller.add(signals.readFD)
            let socket = retryAt == nil ? try? listener.arm() : nil
            let borrowed = socket.map { FileDescriptor(owning: $0) }
            defer { _ = borrowed?.release() }
            if let borrowed { poller.add(borrowed) }
            let ready = try poller.poll(until: deadline)
            _ = borrowed?.release()
            if ready.contains(where: { $0.descriptor == signals.readFD.rawValue }) {
                let caught = (try? signals.drain()) ?? []
                if caught.contains(.hup), let reopen = options.reopenLogs { reopen() }
                if let signal = caught.first(where: options.stopSignals.contains) {
                    logger.info("scheduler stopping on \(signal)")
                    return
                }
            }
            if let socket, ready.contains(where: { $0.descriptor == socket }) {
                do {
                    if try listener.receive() { promoteNow = true }
                } catch {
                    lost(QueueError(.unavailable, error.description))
                }
            }
        }
    }

    /// Does whatever is due now and returns when the next thing is due (ms since the epoch).
    func turn() -> Int64 {
        let now = Timestamp.nowMilliseconds()
        if let retryAt {
            guard now >= retryAt else { return retryAt }
        }
        do {
            if !started { try startUp() }
            if now >= nextSweep {
                try sweep(now: now)
                nextSweep = now + Self.milliseconds(options.sweepInterval)
                // Also a safety net: whatever a lost wake token hid is seen here.
                promoteNow = true
            }
            if promoteNow || nextDue.map({ now >= $0 }) == true { try promote() }
            try firePeriodic()
            if retryAt != nil {
                logger.notice("Redis is reachable again; scheduler resumes")
                retryAt = nil
            }
        } catch {
            lost(error)
            return retryAt ?? now + 500
        }
        var wake = nextSweep
        if let nextDue { wake = min(wake, nextDue) }
        for tick in nextTicks.compactMap(\.self) { wake = min(wake, tick.id * 1000) }
        return wake
    }

    /// Promotes due jobs until none is left, and learns the next due time.
    func promote() throws(QueueError) {
        promoteNow = false
        var result: Promotion
        repeat {
            result = try store.promoteDue(now: Timestamp.nowMilliseconds(), limit: options.promoteLimit)
            promoted += result.moved
        } while result.more
        nextDue = result.nextDue
    }

    /// Redis failed: log once per outage, drop both connections, try again in half a second.
    func lost(_ error: QueueError) {
        lastOutage = .now
        if retryAt == nil {
            logger.error("Redis: \(error.message); scheduler retrying every 0.5 s")
        }
        listener.reset()
        store.client.disconnect()
        retryAt = Timestamp.nowMilliseconds() + 500
    }

    private func startUp() throws(QueueError) {
        try store.preloadScheduler()
        try loadPeriodicCursors()
        started = true
        let entries = options.periodic.map(\.name).joined(separator: ", ")
        logger.info("scheduler ready: \(options.periodic.count) periodic entr\(options.periodic.count == 1 ? "y" : "ies")\(entries.isEmpty ? "" : " (\(entries))"), catch-up \(options.catchUp), sweep every \(options.sweepInterval)")
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
