import CDroverShims

/// How a child changed state, decoded from the status `waitpid(2)` reports.
///
/// Swift cannot import the `WIFEXITED` family of macros, so the decoding calls C shims.
public enum WaitStatus: Hashable, Sendable, CustomStringConvertible {
    /// The child called `exit` or `_exit` with this status (0–255).
    case exited(Int32)
    /// The child was ended by a signal; `coreDumped` when the kernel wrote a core file.
    case signaled(Signal, coreDumped: Bool)
    /// The child was stopped by a signal (seen only when waiting with `WUNTRACED`).
    case stopped(Signal)
    /// A stopped child was resumed by `SIGCONT` (seen only when waiting with `WCONTINUED`).
    case continued

    /// Decodes a raw status.
    ///
    /// The kernel produces only these four encodings (wait(2), glibc bits/waitstatus.h), so the
    /// last branch is `.continued` without a check that could fail.
    /// - Parameter status: The `int` that `waitpid(2)` stored.
    public init(decoding status: Int32) {
        if drover_wifexited(status) != 0 {
            self = .exited(drover_wexitstatus(status))
        } else if drover_wifsignaled(status) != 0 {
            self = .signaled(Signal(rawValue: drover_wtermsig(status)), coreDumped: drover_wcoredump(status) != 0)
        } else if drover_wifstopped(status) != 0 {
            self = .stopped(Signal(rawValue: drover_wstopsig(status)))
        } else {
            self = .continued
        }
    }

    /// Whether the child exited with status 0.
    public var isSuccess: Bool { self == .exited(0) }

    /// The exit status, when the child exited.
    public var exitStatus: Int32? {
        if case .exited(let status) = self { return status }
        return nil
    }

    /// The signal that ended the child, when one did.
    public var terminationSignal: Signal? {
        if case .signaled(let signal, _) = self { return signal }
        return nil
    }

    /// Operator wording: "exited with status 3", "killed by signal KILL".
    public var description: String {
        switch self {
        case .exited(let status):
            return "exited with status \(status)"
        case .signaled(let signal, let coreDumped):
            return "killed by signal \(signal)" + (coreDumped ? " (core dumped)" : "")
        case .stopped(let signal):
            return "stopped by signal \(signal)"
        case .continued:
            return "continued"
        }
    }
}
