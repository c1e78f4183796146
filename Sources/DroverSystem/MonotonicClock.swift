import Glibc

/// `CLOCK_MONOTONIC`, for every timer of the master: time limits, beats, backoff, graceful stop.
///
/// On Linux, `CLOCK_MONOTONIC` does not advance while the machine is suspended (clock_gettime(2);
/// `CLOCK_BOOTTIME` is the one that does), and it never jumps with NTP or an operator's `date`.
/// That is what a job's time limit wants: a job is not killed for time it could not run. Swift's
/// `ContinuousClock` is `CLOCK_BOOTTIME` on Linux, hence this type.
public enum MonotonicClock {
    /// A point on the monotonic clock, in nanoseconds since an arbitrary start (boot).
    ///
    /// Meaningful only within one boot, and only compared with other instants of this clock.
    public struct Instant: InstantProtocol, Hashable, Sendable, CustomStringConvertible {
        /// Nanoseconds since the clock's start.
        public let nanoseconds: Int64

        /// An instant at a raw reading.
        /// - Parameter nanoseconds: Nanoseconds since the clock's start.
        public init(nanoseconds: Int64) {
            self.nanoseconds = nanoseconds
        }

        /// The instant `duration` later (or earlier, when negative).
        /// - Parameter duration: How far to move.
        /// - Returns: The moved instant.
        public func advanced(by duration: Duration) -> Instant {
            Instant(nanoseconds: nanoseconds &+ Instant.nanoseconds(of: duration))
        }

        /// The time from this instant to `other`, negative when `other` is earlier.
        /// - Parameter other: The later instant.
        /// - Returns: `other - self`.
        public func duration(to other: Instant) -> Duration {
            .nanoseconds(other.nanoseconds &- nanoseconds)
        }

        /// Nanoseconds from this instant to `other`, negative when `other` is earlier.
        /// - Parameter other: The later instant.
        /// - Returns: `other - self` in nanoseconds.
        public func nanoseconds(until other: Instant) -> Int64 {
            other.nanoseconds &- nanoseconds
        }

        /// Orders instants in time.
        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.nanoseconds < rhs.nanoseconds
        }

        /// The raw reading, e.g. "12345.678901234s".
        public var description: String {
            let fraction = String(nanoseconds % 1_000_000_000)
            return "\(nanoseconds / 1_000_000_000).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)s"
        }

        static func nanoseconds(of duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
        }
    }

    /// Reads `CLOCK_MONOTONIC`.
    /// - Returns: The current instant.
    public static func now() -> Instant {
        var spec = timespec()
        // Cannot fail for CLOCK_MONOTONIC with a valid pointer (clock_gettime(2)).
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Instant(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }
}
