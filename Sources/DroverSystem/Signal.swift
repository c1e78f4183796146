import Glibc

/// A POSIX signal number, with names for the ones Drover uses.
///
/// A value type with named statics (as swift-subprocess `Signal` and service-lifecycle
/// `UnixSignal`), so other modules say `.term` without importing Glibc.
public struct Signal: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The signal number, e.g. 15 for TERM.
    public let rawValue: Int32

    /// Wraps a signal number.
    /// - Parameter rawValue: The number, as `kill -l` lists it.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Parses a name as an operator types it: `TERM`, `SIGTERM`, `term`, or a number such as `15`.
    /// - Parameter name: The name or number.
    /// - Returns: `nil` when the name is unknown or the number is not a valid signal.
    public init?(name: String) {
        var upper = name.uppercased()
        if upper.hasPrefix("SIG") { upper.removeFirst(3) }
        if let number = Int32(upper) {
            guard number > 0 && number < 65 else { return nil }
            self.init(rawValue: number)
        } else if let index = Signal.names.firstIndex(of: upper), index > 0 {
            self.init(rawValue: Int32(index))
        } else {
            return nil
        }
    }

    /// `SIGHUP`: to the master, reload the config.
    public static let hup = Signal(rawValue: SIGHUP)
    /// `SIGINT`: to the master, warm stop (as TERM).
    public static let int = Signal(rawValue: SIGINT)
    /// `SIGQUIT`: to the master, cold stop.
    public static let quit = Signal(rawValue: SIGQUIT)
    /// `SIGABRT`. Swift's backtracer catches it and may exit 0: use KILL for hard limits.
    public static let abrt = Signal(rawValue: SIGABRT)
    /// `SIGKILL`: cannot be caught; hard time limits and unresponsive children.
    public static let kill = Signal(rawValue: SIGKILL)
    /// `SIGUSR1`: to the master, reopen logs; to a child, cancel the running job.
    public static let usr1 = Signal(rawValue: SIGUSR1)
    /// `SIGSEGV`. Like ABRT, caught by Swift's backtracer unless `SWIFT_BACKTRACE=enable=no`.
    public static let segv = Signal(rawValue: SIGSEGV)
    /// `SIGUSR2`.
    public static let usr2 = Signal(rawValue: SIGUSR2)
    /// `SIGPIPE`: raised by writing to a pipe nobody reads; usually ignored.
    public static let pipe = Signal(rawValue: SIGPIPE)
    /// `SIGALRM`.
    public static let alrm = Signal(rawValue: SIGALRM)
    /// `SIGTERM`: to the master, warm stop; to a child, finish the job and exit.
    public static let term = Signal(rawValue: SIGTERM)
    /// `SIGCHLD`: a child exited; the master reaps.
    public static let chld = Signal(rawValue: SIGCHLD)
    /// `SIGCONT`: resume a stopped process.
    public static let cont = Signal(rawValue: SIGCONT)
    /// `SIGSTOP`: cannot be caught; stops the process.
    public static let stop = Signal(rawValue: SIGSTOP)
    /// `SIGTTIN`: to the master, one child more in every pool.
    public static let ttin = Signal(rawValue: SIGTTIN)
    /// `SIGTTOU`: to the master, one child fewer in every pool.
    public static let ttou = Signal(rawValue: SIGTTOU)

    /// The name without `SIG`, e.g. `TERM`, or the number for signals without a standard name
    /// (the real-time ones).
    public var name: String {
        let index = Int(rawValue)
        return index > 0 && index < Signal.names.count ? Signal.names[index] : String(rawValue)
    }

    /// The same as ``name``, so logs read "killed by signal KILL".
    public var description: String { name }

    /// Linux's numbering on x86-64 and arm64 (signal(7)), indexed by number.
    private static let names = [
        "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ]
}
