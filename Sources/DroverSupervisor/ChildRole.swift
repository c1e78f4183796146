import DroverCore
import DroverRedis
import DroverSystem

/// Something the master can fork and run: a name and an entry point (README "The supervisor").
/// The executable wires the roles (the worker today; the scheduler and HTTP children later), so
/// this module imports no async or HTTP module.
public struct ChildRole: Sendable {
    /// For logs: `worker`, `scheduler`, `http`.
    public var name: String
    /// Runs in the forked child after ``ChildSetup`` and `setpgid`, and never returns: it leaves
    /// through `Posix.exit` (exit 0 after `max_jobs` or a drained burst; anything else is a crash).
    public var entry: @Sendable (ChildContext) -> Never
    /// Whether the child reopens its log file on HUP (``ChildContext/reopenLogs``). Children share
    /// the master's log descriptor from the fork, so after a rotation they would go on writing
    /// to the renamed file; the master passes its USR1 on as HUP to the roles that say they
    /// handle it (USR1 means "cancel your job" to a worker, and HUP's default action kills).
    public var reopensLogsOnHUP: Bool

    /// Creates a role.
    /// - Parameters:
    ///   - name: the role's name.
    ///   - reopensLogsOnHUP: whether the child handles HUP by reopening its log file.
    ///   - entry: the child's main.
    public init(name: String, reopensLogsOnHUP: Bool = false, entry: @escaping @Sendable (ChildContext) -> Never) {
        self.name = name
        self.reopensLogsOnHUP = reopensLogsOnHUP
        self.entry = entry
    }
}

/// What a forked child is given.
public struct ChildContext: Sendable {
    /// The pool the child serves.
    public var pool: PoolConfig
    /// The whole config, for job defaults, the Redis prefix and exec commands.
    public var config: DroverConfig
    /// Where the child's own Redis connections go (opened after the fork, never inherited).
    public var redis: RedisClient.Options
    /// Jobs before the child exits 0 to be replaced: the pool's `max_jobs` plus a little jitter,
    /// so children forked together are not all recycled at once.
    public var maxJobs: Int?
    /// Exit 0 once the queues are empty (`--burst`).
    public var burst: Bool
    /// The child's name for job records and logs, if the operator chose one (`--name`).
    public var name: String?

    /// The host's name as the master read it at start (a rename later changes nothing here).
    public var hostName: String = Posix.hostName()
    /// How long a job's lease lasts without renewal: how soon another host recovers the jobs
    /// of a host that vanished (a SIGKILLed master's children die with it).
    public var lease: Duration
    /// The way to the master: ``ChildMessage`` lines go here.
    public var channel: MasterChannel
    /// The master's id.
    public var masterPID: ProcessID
    /// Reopens the log file this process writes to (the master's, shared from the fork): what
    /// a child that ``ChildRole/reopensLogsOnHUP`` does on HUP.
    public var reopenLogs: @Sendable () -> Void = {}

    /// The name a worker child records on its jobs: the chosen name (else the host's, as the
    /// master read it) and the child's pid. The master computes it too, to get back a dead
    /// child's fetched job.
    public static func workerName(chosen: String?, host: String, pid: ProcessID) -> String {
        "\(chosen ?? host):\(pid.rawValue)"
    }
}
