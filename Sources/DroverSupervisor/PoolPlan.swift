import DroverSystem

/// Keeps pools at size: a pure diff of the wanted pools against the running children
/// (resque-pool `maintain_worker_count`). The supervisor applies the actions; tests feed values.
public enum PoolPlan {
    /// A running child, as the plan sees it.
    public struct Running: Sendable, Hashable {
        /// The child.
        public var pid: ProcessID
        /// Its pool.
        public var pool: String
        /// Running a job: retired last, since retiring it means waiting for the job.
        public var isBusy: Bool
        /// Already told to stop (TERM sent, or max_jobs reached): leaving, so not counted.
        public var isRetiring: Bool
        /// When it was forked; among idle children the youngest goes first (it has warmed up least).
        public var started: MonotonicClock.Instant

        /// Describes a child.
        public init(pid: ProcessID, pool: String, isBusy: Bool = false, isRetiring: Bool = false,
                    started: MonotonicClock.Instant = MonotonicClock.Instant(nanoseconds: 0)) {
            self.pid = pid
            self.pool = pool
            self.isBusy = isBusy
            self.isRetiring = isRetiring
            self.started = started
        }
    }

    /// What to do to one pool.
    public enum Action: Sendable, Hashable {
        /// Fork one more child for the pool.
        case spawn(pool: String)
        /// Ask this child to finish its job and exit (TERM).
        case retire(ProcessID)
    }

    /// The actions that bring `running` to `wanted`.
    ///
    /// Retiring children are not counted, so a replacement is forked while the old child still
    /// finishes its job (HUP, max_jobs). Children of pools no longer wanted are all retired.
    /// - Parameters:
    ///   - wanted: each pool's name and size, in config order.
    ///   - running: the live children.
    /// - Returns: spawns in pool order, then retirements; empty when every pool is at size.
    public static func diff(wanted: [(pool: String, count: Int)], running: [Running]) -> [Action] {
        var spawns: [Action] = []
        var retires: [Action] = []
        let active = running.filter { !$0.isRetiring }
        for (pool, count) in wanted {
            let members = active.filter { $0.pool == pool }
            if members.count < count {
                spawns += Array(repeating: .spawn(pool: pool), count: count - members.count)
            } else if members.count > count {
                let order = members.sorted { a, b in
                    if a.isBusy != b.isBusy { return !a.isBusy }
                    return a.started > b.started
                }
                retires += order.prefix(members.count - count).map { .retire($0.pid) }
            }
        }
        let wantedNames = Set(wanted.map(\.pool))
        retires += active.filter { !wantedNames.contains($0.pool) }.map { .retire($0.pid) }
        return spawns + retires
    }
}
