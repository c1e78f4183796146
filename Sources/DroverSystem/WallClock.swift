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
}
