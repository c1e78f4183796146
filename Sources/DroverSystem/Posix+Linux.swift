import CDroverShims
import Glibc

extension Posix {
    /// Asks the kernel to send `signal` to this process when its parent dies (`PR_SET_PDEATHSIG`).
    ///
    /// "Parent" is the thread that forked, so the master forks from its main thread only. The
    /// setting is cleared by fork in the new child and kept across exec. Check ``getppid()``
    /// after setting it: the parent may have died before (``ChildSetup`` does both).
    /// - Parameter signal: The signal to receive.
    /// - Throws: `SystemError` from `prctl(2)`.
    public static func setParentDeathSignal(_ signal: Signal) throws(SystemError) {
        _ = try systemCall("prctl(PR_SET_PDEATHSIG)") { drover_set_pdeathsig(signal.rawValue) }
    }

    /// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`): orphaned descendants,
    /// such as a program a dead worker had started, are re-parented to it instead of to init,
    /// so the master reaps them and can see them.
    /// - Parameter enabled: `false` turns it off again.
    /// - Throws: `SystemError` from `prctl(2)`.
    public static func setChildSubreaper(_ enabled: Bool = true) throws(SystemError) {
        _ = try systemCall("prctl(PR_SET_CHILD_SUBREAPER)") { drover_set_child_subreaper(enabled ? 1 : 0) }
    }

    /// Whether this process may dump core and be read by other processes of its user
    /// (`PR_SET_DUMPABLE`, prctl(2)): a non-dumpable process writes no core file (the Redis
    /// password is in its memory) and its `/proc/PID/environ`, `mem` and `fd` belong to root.
    /// Inherited by fork; execve sets it back (the programs a worker runs are dumpable again).
    /// - Throws: `SystemError` from `prctl(2)`.
    public static func setDumpable(_ enabled: Bool) throws(SystemError) {
        _ = try systemCall("prctl(PR_SET_DUMPABLE)") { drover_set_dumpable(enabled ? 1 : 0) }
    }

    /// This process's `PR_GET_DUMPABLE`: false after ``setDumpable(_:)`` with false.
    public static var isDumpable: Bool { drover_get_dumpable() != 0 }
}

extension Posix {
    /// This host's name (`gethostname(2)`), for supervisor records and default worker names.
    /// - Returns: the name, or `localhost` when the call fails.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension Posix {
    /// A descriptor that becomes readable when process `pid` (a child) exits (`pidfd_open(2)`),
    /// for a `poll` that also watches pipes; nil where the kernel has none.
    public static func processExitDescriptor(_ pid: ProcessID) -> FileDescriptor? {
        let fd = drover_pidfd_open(pid.rawValue)
        return fd >= 0 ? FileDescriptor(owning: fd) : nil
    }
}
