import Glibc

/// `CLOCK_REALTIME`, for timestamps people and Redis read (`started_at`, beats); never for
/// measuring intervals, since it jumps with NTP and `date` (use ``MonotonicClock`` for that).
public enum WallClock {
    /// Milliseconds since the Unix epoch, UTC.
    /// - Returns: The current wall-clock time in milliseconds.
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Microseconds since the Unix epoch (for latency figures across processes on one host).
    public static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
