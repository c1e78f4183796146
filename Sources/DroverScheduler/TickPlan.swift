import DroverCore
import Foundation

/// What to do with a periodic entry's ticks that came due: a pure decision, values in and
/// values out, so the catch-up rule is tested without Redis or waiting for wall time.
///
/// The rule (issue 5): a tick missed while no scheduler ran fires once on start-up if it is
/// younger than the `catch_up` window; older ones are skipped and logged. A tick less than
/// ``onTimeGrace`` late is never "missed", so `catch_up: 0` still fires every tick that a running
/// scheduler reaches on time.
public struct TickPlan: Sendable, Equatable {
    /// Ticks too old to fire, oldest first (at most ``countLimit``).
    public var skipped: [CronTick]
    /// Whether more ticks were skipped than `skipped` lists.
    public var skippedMore: Bool
    /// Ticks to fire now, oldest first.
    public var fire: [CronTick]
    /// The entry's first tick after `now`.
    public var next: CronTick?

    /// How late a tick may be and still count as on time, whatever the catch-up window.
    public static let onTimeGrace = TimeSpan.seconds(1)
    /// The most ticks a plan lists in either list (an every-second entry after a day down).
    public static let countLimit = 10_000

    /// Plans the ticks of `entry` after `cursor` up to `now`.
    /// - Parameters:
    ///   - entry: the periodic entry.
    ///   - cursor: the last tick already dealt with (fired or skipped, by any scheduler); ticks
    ///     at or before it are not looked at.
    ///   - now: the current time.
    ///   - catchUp: the catch-up window.
    /// - Returns: the plan.
    public static func plan(_ entry: PeriodicEntry, after cursor: Date, now: Date, catchUp: TimeSpan) -> TickPlan {
        let window = max(catchUp, onTimeGrace)
        let threshold = now.addingTimeInterval(-window.seconds)
        var skipped: [CronTick] = []
        var fireFrom = cursor
        if threshold > cursor {
            skipped = entry.schedule.ticks(after: cursor, through: threshold, in: entry.timeZone, limit: countLimit)
            fireFrom = threshold
        }
        let fire = entry.schedule.ticks(after: max(fireFrom, cursor), through: now, in: entry.timeZone, limit: countLimit)
        return TickPlan(skipped: skipped, skippedMore: skipped.count == countLimit, fire: fire,
                        next: entry.nextTick(after: now))
    }
}
