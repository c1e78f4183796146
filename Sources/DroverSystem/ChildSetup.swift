import CDroverShims
import Glibc

/// What a forked child runs first, before any work of its own.
///
/// The order matters (Unicorn `after_fork_internal`, gunicorn `spawn_worker`, resque-pool):
/// 1. Close what is the master's: the signal pipe, other children's pipes, the notify socket.
///    ``Posix/fork()`` has already put the signal handlers back to `SIG_DFL` and emptied the mask.
/// 2. `PR_SET_PDEATHSIG`, so the child dies with the master.
/// 3. Compare ``Posix/getppid()`` with the master's id: if the master died before step 2, the
///    death signal will never come, so the child exits at once.
public enum ChildSetup {
    /// The status of a child that finds its master gone: `EX_TEMPFAIL` (75, sysexits.h), since
    /// nothing is wrong with the child and its work is retried elsewhere.
    public static let masterGoneExitStatus: Int32 = 75

    /// Prepares a freshly forked child. Exits the process with ``masterGoneExitStatus`` when the
    /// parent is no longer `masterPID`.
    /// - Parameters:
    ///   - masterPID: The master's id, read with ``Posix/getpid()`` before forking.
    ///   - deathSignal: What the child receives when the master dies: TERM to finish the job
    ///     first, KILL to stop at once.
    ///   - signalPipe: The master's signal pipe, whose copy the child closes.
    ///   - descriptors: Other descriptors of the master to close in the child (other children's
    ///     pipes, the notify socket). Errors closing them are ignored: the child only drops copies.
    /// - Throws: `SystemError` from `prctl(2)`.
    public static func run(
        masterPID: ProcessID,
        deathSignal: Signal,
        signalPipe: SignalPipe?,
        closing descriptors: [FileDescriptor] = []
    ) throws(SystemError) {
        signalPipe?.restoreDefaults()
        for descriptor in descriptors {
            try? descriptor.close()
        }
        try Posix.setParentDeathSignal(deathSignal)
        if Posix.getppid() != masterPID {
            Posix.exit(masterGoneExitStatus)
        }
    }

    /// Runs `body`, a forked child's work, on a new thread, and parks the thread that `fork()`
    /// returned on for good.
    ///
    /// Why: that thread keeps the master's thread id in the Swift runtime's thread-local caches
    /// (`swift_once`'s lock and `Synchronization.Mutex` write the owner's id in the lock word and
    /// cache it per thread). Once the child has a second thread, a lock the forked thread holds
    /// names the master's thread: a thread waiting for it sleeps forever and the unlock spins
    /// on `EPERM`. Seen as a worker child that never sent its first line: its main thread and
    /// its lease and signal threads all stuck in `swift_once` under
    /// `swift_getCanonicalPrespecializedGenericMetadata`, the main one at 100 % CPU. A new thread
    /// starts with empty caches. Call it while the child has one thread, after ``run(masterPID:deathSignal:signalPipe:)``:
    /// the parked thread keeps the parent-death signal armed (the kernel holds it per thread), so
    /// it must never exit, and the body must not `exec` (that would drop it).
    /// - Parameter body: The child's work; it ends the process (``Posix/exit(_:)``).
    /// - Throws: `SystemError` when the thread cannot be created (`pthread_create`, e.g. `EAGAIN`).
    public static func continueOnNewThread(_ body: @escaping @Sendable () -> Never) throws(SystemError) -> Never {
        let context = Unmanaged.passRetained(ChildBody(body)).toOpaque()
        _ = drover_continue_on_new_thread({ raw in
            Unmanaged<ChildBody>.fromOpaque(raw!).takeRetainedValue().run()
        }, context)
        let code = errno
        Unmanaged<ChildBody>.fromOpaque(context).release()
        throw SystemError(code: SystemError.Code(rawValue: code), syscall: "pthread_create")
    }
}

/// A child's work, passed through C to its new thread.
private final class ChildBody: Sendable {
    let run: @Sendable () -> Never

    init(_ run: @escaping @Sendable () -> Never) {
        self.run = run
    }
}
