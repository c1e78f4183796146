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

        /// The instant `duration` later (or earlier, when negative); past the clock's range it
        /// stays at the range's end, so a deadline too far away to reach never wraps into the past.
        /// - Parameter duration: How far to move.
        /// - Returns: The moved instant.
        public func advanced(by duration: Duration) -> Instant {
            let step = Instant.nanoseconds(of: duration)
            let (sum, overflow) = nanoseconds.addingReportingOverflow(step)
            return Instant(nanoseconds: overflow ? (step < 0 ? .min : .max) : sum)
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

        /// `duration` in nanoseconds, saturating at `Int64`'s range.
        static func nanoseconds(of duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            if overflow { return seconds < 0 ? .min : .max }
            let (sum, carry) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
            if carry { return whole < 0 ? .min : .max }
            return sum
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
