import CDroverShims
import Glibc

/// A failed system call: which call, and the `errno` it left.
///
/// The one error type of DroverSystem. Every throwing API here throws it (typed throws, as
/// swift-subprocess does at its boundary), so the supervisor can switch on ``code`` without
/// importing Glibc.
public struct SystemError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` value, with names for the ones callers branch on.
    ///
    /// Extensible: any `errno` is a valid code, the statics are only the common ones.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The raw `errno` value.
        public let rawValue: Int32

        /// Wraps a raw `errno` value.
        /// - Parameter rawValue: The value of `errno` after the failed call.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// `EPERM`: not allowed, e.g. signalling another user's process.
        public static let notPermitted = Code(rawValue: EPERM)
        /// `ENOENT`: no such file, e.g. `/proc/PID` of a process that is gone.
        public static let noSuchFile = Code(rawValue: ENOENT)
        /// `ESRCH`: no such process or process group.
        public static let noSuchProcess = Code(rawValue: ESRCH)
        /// `EINTR`: interrupted by a signal. Retried internally, except by `close()`.
        public static let interrupted = Code(rawValue: EINTR)
        /// `EIO`: input/output error; also used for unreadable `/proc` contents.
        public static let ioError = Code(rawValue: EIO)
        /// `EBADF`: not an open descriptor. A bug in the caller: DroverSystem traps on it.
        public static let badFileDescriptor = Code(rawValue: EBADF)
        /// `ECHILD`: no child to wait for.
        public static let noChildProcess = Code(rawValue: ECHILD)
        /// `EAGAIN`/`EWOULDBLOCK`: a non-blocking call would block.
        public static let wouldBlock = Code(rawValue: EAGAIN)
        /// `ENOMEM`: out of memory.
        public static let outOfMemory = Code(rawValue: ENOMEM)
        /// `EACCES`: permission denied.
        public static let accessDenied = Code(rawValue: EACCES)
        /// `EBUSY`: already in use, e.g. a second ``SignalPipe`` in one process.
        public static let busy = Code(rawValue: EBUSY)
        /// `EINVAL`: an invalid argument.
        public static let invalidArgument = Code(rawValue: EINVAL)
        /// `EPIPE`: the other end of a pipe is closed.
        public static let brokenPipe = Code(rawValue: EPIPE)

        /// The C library's text for the code, e.g. "No such process".
        public var description: String {
            guard let text = drover_strerror(rawValue) else { return "Unknown error \(rawValue)" }
            return String(cString: text)
        }
    }

    /// What went wrong, as `errno`.
    public let code: Code
    /// The call that failed, with context where it helps, e.g. `kill` or `open /proc/7/statm`.
    public let syscall: String

    /// Creates an error for a failed call.
    /// - Parameters:
    ///   - code: The `errno` the call left.
    ///   - syscall: The call's name, with context where it helps an operator.
    public init(code: Code, syscall: String) {
        self.code = code
        self.syscall = syscall
    }

    /// The raw `errno` value.
    public var errno: Int32 { code.rawValue }

    /// An operator-readable line, e.g. "kill failed: No such process (errno 3)".
    public var description: String {
        "\(syscall) failed: \(code) (errno \(code.rawValue))"
    }
}
