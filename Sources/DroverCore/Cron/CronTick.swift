import Foundation

/// One firing of a periodic entry: the instant it is due, and an identity that is the same for
/// every scheduler that computes it, to build the per-tick idempotency key (issue 5: "every tick
/// fires exactly once across all scheduler instances").
public struct CronTick: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The instant the tick is due, a whole second.
    public let date: Date

    /// The tick's identity: the due instant in whole seconds since the Unix epoch. Two ticks of
    /// one entry never share it, because `next(after:in:)` never returns the same instant twice
    /// (a daylight-saving gap folds several wall times into one instant, which is one tick).
    public var id: Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    /// Creates a tick due at `date`.
    /// - Parameter date: the due instant.
    public init(date: Date) { self.date = date }

    /// An idempotency key for this tick of the entry named `entry`, such as `nightly:1767322800`.
    /// - Parameter entry: the periodic entry's name, unique in a config.
    public func idempotencyKey(entry: String) -> String { "\(entry):\(id)" }

    public static func < (lhs: CronTick, rhs: CronTick) -> Bool { lhs.date < rhs.date }

    /// The epoch seconds.
    public var description: String { String(id) }
}
