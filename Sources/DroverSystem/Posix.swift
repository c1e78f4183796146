import CDroverShims
import Glibc

/// Process control: thin wrappers over fork, exec, exit, wait and kill, throwing `SystemError`.
///
/// As NIO's `Posix`, the namespace that keeps every other module off Glibc.
public enum Posix {
    /// Which side of a ``fork()`` the caller is on.
    public enum ForkResult: Hashable, Sendable {
        /// The new process. Run ``ChildSetup/run(masterPID:deathSignal:signalPipe:closing:)``
        /// first, and leave only through ``exit(_:)`` or `exec`.
        case child
        /// The original process, with the child's id.
        case parent(ProcessID)
    }

    /// Forks the process.
    ///
    /// Only safe while the process has one thread: the child gets a copy of every lock another
    /// thread held, and Swift concurrency in the child hangs (docs/platform.md). The supervisor asserts
    /// `ProcessStats.threadCount() == 1` in debug builds before calling this. Fork from the main
    /// thread: `PR_SET_PDEATHSIG` follows the thread that forked, not the process.
    ///
    /// Before forking, stdio buffers are flushed (else they print twice) and every signal is
    /// blocked; the child resets the ``SignalPipe`` handlers to `SIG_DFL` and empties its mask
    /// before this returns, so a signal sent to a new child takes its default action instead of
    /// running the master's handler in the child. The parent's mask is restored.
    /// - Returns: `.child` in the child, `.parent(pid)` in the parent.
    /// - Throws: `SystemError` from `fork(2)`, e.g. `EAGAIN` at the process limit.
    public static func fork() throws(SystemError) -> ForkResult {
        let pid = try systemCall("fork") { drover_fork() }
        return pid == 0 ? .child : .parent(ProcessID(pid))
    }

    /// Replaces the process image, e.g. for a master that re-executes itself.
    ///
    /// Descriptors Drover opened are close-on-exec; the signal mask and ignored signals carry
    /// over, caught ones return to their default.
    /// - Parameters:
    ///   - path: The program to run (no `PATH` search), e.g. `/proc/self/exe`.
    ///   - argv: The arguments, starting with the program name.
    /// - Throws: `SystemError` from `execv(3)`; on success it does not return.
    public static func exec(path: String, argv: [String]) throws(SystemError) -> Never {
        var cArguments = argv.map { strdup($0) }
        cArguments.append(nil)
        _ = execv(path, &cArguments)
        let code = errno
        for argument in cArguments { free(argument) }
        throw SystemError(code: SystemError.Code(rawValue: code), syscall: "execv \(path)")
    }

    /// Replaces the process image with `argv[0]`.
    /// - Parameter argv: The program path followed by its arguments.
    /// - Throws: `SystemError` from `execv(3)`; on success it does not return.
    public static func exec(argv: [String]) throws(SystemError) -> Never {
        precondition(!argv.isEmpty, "exec(argv:) needs the program path in argv[0]")
        try exec(path: argv[0], argv: argv)
    }

    /// Ends the process at once with `_exit(2)`: no `atexit` handlers and no stdio flush, which
    /// in a forked child would run the master's handlers and print its buffers a second time.
    /// - Parameter status: The exit status, 0–255.
    public static func exit(_ status: Int32) -> Never {
        _exit(status)
    }

    /// The calling process's id.
    /// - Returns: `getpid(2)`.
    public static func getpid() -> ProcessID {
        ProcessID(Glibc.getpid())
    }

    /// The parent's id; 1, or a subreaper's id, once the parent has died.
    /// - Returns: `getppid(2)`.
    public static func getppid() -> ProcessID {
        ProcessID(Glibc.getppid())
    }
}
