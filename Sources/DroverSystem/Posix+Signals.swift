import Glibc

extension Posix {
    /// Sends a signal to one process.
    /// - Parameters:
    ///   - pid: The process; must be positive (use ``killProcessGroup(_:_:)`` for groups).
    ///   - signal: The signal.
    /// - Throws: `SystemError` from `kill(2)`: ``SystemError/Code/noSuchProcess`` when it is gone
    ///   (a zombie not yet reaped still counts as present).
    public static func kill(_ pid: ProcessID, _ signal: Signal) throws(SystemError) {
        precondition(pid.rawValue > 0, "kill(\(pid)) would signal a group; use killProcessGroup")
        _ = try systemCall("kill") { Glibc.kill(pid.rawValue, signal.rawValue) }
    }

    /// Sends a signal to every process in a group, e.g. a child and whatever it spawned.
    /// - Parameters:
    ///   - pgid: The group id, usually the id of the child that called ``setProcessGroup()``.
    ///   - signal: The signal.
    /// - Throws: `SystemError` from `killpg(3)`, ``SystemError/Code/noSuchProcess`` when the group
    ///   is empty.
    public static func killProcessGroup(_ pgid: ProcessID, _ signal: Signal) throws(SystemError) {
        precondition(pgid.rawValue > 1, "killProcessGroup(\(pgid)) is not a group id")
        _ = try systemCall("killpg") { killpg(pgid.rawValue, signal.rawValue) }
    }

    /// Makes the calling process the leader of a new process group (`setpgid(0, 0)`), so the
    /// master can signal it together with the programs it starts.
    /// - Throws: `SystemError` from `setpgid(2)`, e.g. `EPERM` for a session leader.
    public static func setProcessGroup() throws(SystemError) {
        _ = try systemCall("setpgid") { setpgid(0, 0) }
    }

    /// Moves a child into a process group, from the parent.
    ///
    /// The parent calls this too, right after fork, with the child's own id: then the group
    /// exists whichever of the two runs first, and a ``killProcessGroup(_:_:)`` cannot miss it
    /// (the race the glibc manual's job-control example closes the same way).
    /// - Parameters:
    ///   - pid: The child.
    ///   - pgid: The group; the child's own id makes it a group leader.
    /// - Throws: `SystemError` from `setpgid(2)`: `EACCES` once the child has `exec`ed,
    ///   ``SystemError/Code/noSuchProcess`` when it is not a child.
    public static func setProcessGroup(of pid: ProcessID, to pgid: ProcessID) throws(SystemError) {
        _ = try systemCall("setpgid") { setpgid(pid.rawValue, pgid.rawValue) }
    }

    /// Ignores a signal (`SIG_IGN`), e.g. PIPE, so a write to a closed pipe fails with `EPIPE`
    /// instead of ending the process. Ignored signals stay ignored across fork and exec.
    /// - Parameter signal: The signal; KILL and STOP cannot be ignored.
    /// - Throws: `SystemError` from `sigaction(2)`.
    public static func ignore(_ signal: Signal) throws(SystemError) {
        try setDisposition(signal, SIG_IGN)
    }

    /// Restores a signal's default action (`SIG_DFL`).
    /// - Parameter signal: The signal.
    /// - Throws: `SystemError` from `sigaction(2)`.
    public static func restoreDefaultAction(_ signal: Signal) throws(SystemError) {
        try setDisposition(signal, SIG_DFL)
    }

    private static func setDisposition(_ signal: Signal, _ handler: __sighandler_t?) throws(SystemError) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        _ = try systemCall("sigaction") { sigaction(signal.rawValue, &action, nil) }
    }
}
