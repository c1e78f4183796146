import Glibc

/// The `poll(2)` event bits, as a Swift option set.
public struct PollEvents: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The `events`/`revents` bits.
    public let rawValue: Int16

    /// Wraps `poll(2)` bits.
    /// - Parameter rawValue: `POLLIN`, `POLLOUT`, … combined.
    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    /// `POLLIN`: data to read, or end of file.
    public static let readable = PollEvents(rawValue: Int16(POLLIN))
    /// `POLLOUT`: room to write.
    public static let writable = PollEvents(rawValue: Int16(POLLOUT))
    /// `POLLHUP`: the other end is closed. Reported even when not asked for.
    public static let hangUp = PollEvents(rawValue: Int16(POLLHUP))
    /// `POLLERR`: an error condition. Reported even when not asked for.
    public static let error = PollEvents(rawValue: Int16(POLLERR))
    /// `POLLNVAL`: the descriptor is not open, a bug in the caller. Reported even when not asked for.
    public static let invalid = PollEvents(rawValue: Int16(POLLNVAL))

    /// The set bits by name, e.g. "[readable, hangUp]".
    public var description: String {
        let names: [(PollEvents, String)] = [
            (.readable, "readable"), (.writable, "writable"), (.hangUp, "hangUp"), (.error, "error"),
            (.invalid, "invalid"),
        ]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}
