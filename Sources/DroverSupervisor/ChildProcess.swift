import DroverCore
import DroverSystem

/// The master's record of one child: what it is running, since when, and why it may be leaving.
final class ChildProcess {
    /// Why the master asked a child to go; decides how its death is reported and its job recovered.
    enum Leaving: Equatable {
        /// TERM sent: finish the job, then exit (warm stop, HUP, TTOU, max_jobs elsewhere).
        case retiring
        /// Hard time limit of job `job`: SIGKILL sent to its process group.
        case timeLimit(milliseconds: Int64, job: JobID)
        /// Cold stop: SIGKILL sent.
        case coldStop
    }

    /// A job in flight: from its `start` line until its `end` line.
    struct RunningJob {
        var id: JobID
        var lease: Int
        var limits: LimitClock
        /// If killed at its hard limit: retried after this many ms, or ``ChildMessage/noRetry``
        /// (nil: not said; it goes back to its queue at once).
        var retryAfterTimeLimit: Int64?
    }

    let pid: ProcessID
    /// Its pool, or for a service child its ``ChildProcess/serviceKey(_:)``.
    let pool: String
    /// The role's name (`worker`, `scheduler`, `http`), for logs and records.
    let role: String
    /// A singleton service (scheduler, HTTP) rather than a pool's worker.
    let isService: Bool
    /// When it was forked, on the wall clock (for records people read).
    let startedAtWall = WallClock.nowMilliseconds()
    let started: MonotonicClock.Instant
    /// The read end of the child's pipe; nil once it reached end of file.
    var pipe: FileDescriptor?
    var buffer = LineBuffer()
    /// Has said something (a beat or a start): it connected to Redis and serves.
    var isUp = false
    var job: RunningJob?
    var jobsDone = 0
    /// Process groups of exec programs it runs now (see ``ChildMessage/program(_:)``).
    var programs: Set<ProcessID> = []
    var lastHeard: MonotonicClock.Instant
    var leaving: Leaving?
    /// Said `bye`: it reached max_jobs and exits by itself.
    var saidLeaving = false
    /// Its role reopens its log file on HUP (``ChildRole/reopensLogsOnHUP``).
    var reopensLogsOnHUP = false
    /// The queues a worker child serves, to get back a job it fetched when it dies.
    var queues: [String] = []
    /// The clocks of its fetching calls since it last started a job or went idle
    /// (``ChildMessage/fetching(clock:)``): if it dies now, one of them may have taken a job
    /// that it never reported.
    var fetchesOut: [Int64] = []

    init(pid: ProcessID, pool: String, role: String, isService: Bool, pipe: FileDescriptor, started: MonotonicClock.Instant) {
        self.pid = pid
        self.pool = pool
        self.role = role
        self.isService = isService
        self.pipe = pipe
        self.started = started
        self.lastHeard = started
    }

    /// The plan's pool name for a service: `:NAME`, which no pool name can be (pool names are
    /// validated), so a pool called `scheduler` never collides with the service.
    static func serviceKey(_ name: String) -> String { ":" + name }

    /// What records and logs call its pool: the pool, or the service's name.
    var poolName: String { isService ? role : pool }

    /// As the pool plan sees it.
    var planned: PoolPlan.Running {
        PoolPlan.Running(pid: pid, pool: pool, isBusy: job != nil, isRetiring: leaving != nil, started: started)
    }
}
