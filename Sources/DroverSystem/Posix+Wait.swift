import Glibc

extension Posix {
    /// Reaps one child that has exited, for the master's reaping loop after CHLD.
    ///
    /// Call it until it returns `nil`: signals coalesce, so one CHLD may stand for many exits
    /// (gunicorn `reap_workers`, Unicorn `reap_all_workers`). Reaps any child, including a
    /// grandchild adopted through ``setChildSubreaper(_:)``.
    /// - Parameter nonBlocking: `true` (`WNOHANG`) returns `nil` when no child has exited yet;
    ///   `false` waits for one.
    /// - Returns: The child and how it ended, or `nil` when none is ready or there are no children.
    /// - Throws: `SystemError` from `waitpid(2)` other than `ECHILD`.
    public static func waitAny(nonBlocking: Bool) throws(SystemError) -> (pid: ProcessID, status: WaitStatus)? {
        var status: Int32 = 0
        let pid: pid_t
        do throws(SystemError) {
            pid = try systemCall("waitpid") { waitpid(-1, &status, nonBlocking ? WNOHANG : 0) }
        } catch where error.code == .noChildProcess {
            return nil
        }
        return pid == 0 ? nil : (ProcessID(pid), WaitStatus(decoding: status))
    }

    /// Waits for one child to end and reaps it.
    /// - Parameter pid: The child.
    /// - Returns: How it ended.
    /// - Throws: `SystemError` from `waitpid(2)`, e.g. ``SystemError/Code/noChildProcess`` when
    ///   `pid` is not a child or was already reaped.
    public static func wait(_ pid: ProcessID) throws(SystemError) -> WaitStatus {
        var status: Int32 = 0
        _ = try systemCall("waitpid") { waitpid(pid.rawValue, &status, 0) }
        return WaitStatus(decoding: status)
    }

    /// Reaps one child if it has ended, without waiting.
    /// - Parameter pid: The child.
    /// - Returns: How it ended, or `nil` while it runs.
    /// - Throws: `SystemError` from `waitpid(2)`.
    public static func tryWait(_ pid: ProcessID) throws(SystemError) -> WaitStatus? {
        var status: Int32 = 0
        let reaped = try systemCall("waitpid") { waitpid(pid.rawValue, &status, WNOHANG) }
        return reaped == 0 ? nil : WaitStatus(decoding: status)
    }
}
