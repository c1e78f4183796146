import DroverRedis
import DroverSystem
import Foundation

/// What every Drover process does first, before it starts a thread: the Redis password leaves
/// the environment for memory (``RedisPassword/takeFromEnvironment()``), and the process stops
/// being dumpable, so no core file of it (nor of the children it forks, which inherit the flag)
/// holds the password, and other processes of its user, such as the exec programs a worker
/// runs, cannot read its memory or `/proc/PID/environ` (prctl(2), `PR_SET_DUMPABLE`).
/// `DROVER_DUMPABLE=1` keeps cores and debuggers working, for debugging.
enum ProcessHardening {
    static func apply() {
        RedisPassword.takeFromEnvironment()
        if ProcessInfo.processInfo.environment["DROVER_DUMPABLE"] != "1" { try? Posix.setDumpable(false) }
    }

    /// The environment for a Drover process this one starts (`drover bench`'s workers and
    /// masters): the password it took, which the new process takes in turn, and dumpable, so
    /// the benchmark can read its `/proc/PID/smaps_rollup`.
    static var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let password = RedisPassword.takenFromEnvironment { environment["REDIS_PASSWORD"] = password }
        environment["DROVER_DUMPABLE"] = "1"
        return environment
    }
}
