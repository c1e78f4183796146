import Glibc

/// A process (or process group) id: a typed `pid_t`.
public struct ProcessID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The kernel's `pid_t`.
    public let rawValue: pid_t

    /// Wraps a `pid_t`.
    /// - Parameter rawValue: The process id.
    public init(rawValue: pid_t) {
        self.rawValue = rawValue
    }

    /// Wraps a `pid_t`.
    /// - Parameter rawValue: The process id.
    public init(_ rawValue: pid_t) {
        self.rawValue = rawValue
    }

    /// The decimal id, as `ps` shows it.
    public var description: String { String(rawValue) }

    /// Orders by numeric id, so logs and tables list children stably.
    public static func < (lhs: ProcessID, rhs: ProcessID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
