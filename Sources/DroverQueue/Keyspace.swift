/// Drover's Redis keys. Every key is `{PREFIX}:…`: the braces make the prefix the Redis Cluster
/// hash tag, so all of one deployment's keys share a slot and every multi-key script stays legal
/// on a cluster. A deployment that needs more than one slot runs several prefixes.
///
/// | key | type | holds |
/// |---|---|---|
/// | `jobs` | hash | id → record, for jobs that have not run yet (see `LuaPrelude`) |
/// | `job:ID` | hash | a job that has run or been canceled: state, attempt, lease, result… |
/// | `queue:Q:PRI` | list | queued ids of priority PRI, FIFO |
/// | `prio:Q` | zset | the priority levels of Q in use, score = -PRI |
/// | `scheduled:Q` | zset | ids waiting for their time, score = due ms |
/// | `started:Q` | zset | running ids, score = lease deadline ms |
/// | `finished:Q` `failed:Q` `canceled:Q` | zset | ended ids, score = end ms (bounded) |
/// | `signal:Q` | list | wake-up tokens for idle workers (at most 64) |
/// | `unique:KEY` | string | the id holding a unique key |
/// | `lost:WORKER:T` | string | a worker's call (sent at ms T) whose reply was lost and that a retry stood in for; for a lease (at least a minute), so the call takes nothing if it arrives late |
/// | `queues` | set | every queue ever used |
/// | `stats:Q` | hash | counters: enqueued, finished, failed, retried, canceled, lost, stale |
/// | `supervisors` | hash | supervisor id (`HOST:PID`) → its `SupervisorRecord` JSON, rewritten each second |
/// | `supervisors:seen` | zset | supervisor id, score = last publish ms (for pruning the dead) |
/// | `control:ID` | list | `ControlCommand`s waiting for supervisor ID |
/// | `counters` | hash | supervisor counters, field `NAME:POOL` (child restarts, limit kills…) |
public struct Keyspace: Sendable, Equatable {
    /// The configured prefix, without braces.
    public let prefix: String
    /// `{prefix}:`, passed to every script as KEYS[1].
    public let base: String

    /// Creates the keyspace for a prefix (default `drover`).
    public init(prefix: String = "drover") {
        self.prefix = prefix
        base = "{\(prefix)}:"
    }

    public func job(_ id: String) -> String { base + "job:" + id }
    public func queue(_ q: String, priority: Int = 0) -> String { base + "queue:\(q):\(priority)" }
    public var jobs: String { base + "jobs" }
    public func scheduled(_ q: String) -> String { base + "scheduled:" + q }
    public func started(_ q: String) -> String { base + "started:" + q }
    public func signal(_ q: String) -> String { base + "signal:" + q }
    public func registry(_ state: String, _ q: String) -> String { base + state + ":" + q }
    public func stats(_ q: String) -> String { base + "stats:" + q }
    public var queues: String { base + "queues" }
    public var supervisors: String { base + "supervisors" }
    public var counters: String { base + "counters" }
    public func control(_ supervisor: String) -> String { base + "control:" + supervisor }
}
