import CDroverShims
import Glibc

/// One `poll(2)` over a list of descriptors: the master loop's only place to sleep.
///
/// The supervisor rebuilds it each turn from the signal pipe and the children's doorbell, then
/// waits until the earliest timer. Holding the descriptors keeps them open while polled; a
/// descriptor closed in the meantime has number -1, which `poll(2)` skips.
public struct Poller: Sendable {
    /// A descriptor that has events.
    public struct Ready: Hashable, Sendable {
        /// The descriptor's number, to match against ``FileDescriptor/rawValue``.
        public let descriptor: Int32
        /// What happened: the requested events plus any of hang-up, error or invalid.
        public let events: PollEvents

        /// Data to read, or end of file.
        public var isReadable: Bool { events.contains(.readable) }
        /// The other end is closed (after anything left in the pipe has been read).
        public var isHungUp: Bool { events.contains(.hangUp) || events.contains(.error) }
    }

    private var entries: [(descriptor: FileDescriptor, events: PollEvents)] = []

    /// An empty poller; polling it with a timeout simply sleeps.
    public init() {}

    /// The descriptors being polled.
    public var count: Int { entries.count }

    /// Adds a descriptor to the next ``poll(timeoutMilliseconds:)``.
    /// - Parameters:
    ///   - descriptor: The descriptor to watch; the poller keeps a reference.
    ///   - events: What to wait for; hang-up and errors are always reported.
    public mutating func add(_ descriptor: FileDescriptor, events: PollEvents = .readable) {
        entries.append((descriptor, events))
    }

    /// Forgets every descriptor.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
    }

    /// Waits until a descriptor has events or the timeout passes.
    ///
    /// A signal interrupts `poll(2)` with `EINTR` (it is never restarted, signal(7)); the wait is
    /// then resumed with what is left of the timeout, measured on ``MonotonicClock``. With the
    /// signal pipe in the list, the resumed poll returns at once with its read end readable.
    /// - Parameter timeoutMilliseconds: The longest wait; `nil` waits without limit, 0 does not wait.
    /// - Returns: The descriptors with events, in the order they were added; empty on timeout.
    /// - Throws: `SystemError` from `poll(2)`, e.g. `ENOMEM`.
    public func poll(timeoutMilliseconds: Int?) throws(SystemError) -> [Ready] {
        guard let timeoutMilliseconds else { return try poll(until: nil) }
        let deadline = MonotonicClock.now().advanced(by: .milliseconds(max(0, timeoutMilliseconds)))
        return try poll(until: deadline)
    }

    /// Waits until a descriptor has events or the deadline passes.
    /// - Parameter deadline: When to give up; `nil` waits without limit. A past deadline polls once.
    /// - Returns: The descriptors with events, in the order they were added; empty on timeout.
    /// - Throws: `SystemError` from `poll(2)`.
    public func poll(until deadline: MonotonicClock.Instant?) throws(SystemError) -> [Ready] {
        var fds = entries.map { pollfd(fd: $0.descriptor.rawValue, events: $0.events.rawValue, revents: 0) }
        while true {
            // ppoll(2), to the nanosecond: poll(2)'s whole milliseconds would add up to 1 ms to
            // every timed wake-up (a due job, a hard limit).
            let timeout = deadline.map { max(0, MonotonicClock.now().nanoseconds(until: $0)) } ?? -1
            let count = drover_ppoll_ns(&fds, UInt(fds.count), timeout)
            if count >= 0 {
                return fds.compactMap { entry in
                    entry.revents == 0 ? nil : Ready(descriptor: entry.fd, events: PollEvents(rawValue: entry.revents))
                }
            }
            let code = errno
            if code == EINTR { continue }
            preconditionNotABug(code, "poll")
            throw SystemError(code: SystemError.Code(rawValue: code), syscall: "poll")
        }
    }
}
