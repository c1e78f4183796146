import Foundation

/// How long a failed job waits before its next attempt: `base × factor^(attempt-1)`, capped,
/// with random jitter so a burst of failures does not retry as a burst.
///
/// The default follows Sidekiq's spirit (25 attempts spread over about three weeks: a failure
/// caused by a dependency being down for a weekend still succeeds on Monday): 15 s doubling to a
/// cap of one day.
public struct Backoff: Sendable, Equatable, Codable {
    /// The first delay.
    public var base: TimeSpan
    /// The growth per attempt.
    public var factor: Double
    /// The longest delay.
    public var cap: TimeSpan
    /// The fraction of the delay added or removed at random (0.25 means ±25 %).
    public var jitter: Double

    /// Creates a policy.
    public init(base: TimeSpan = .seconds(15), factor: Double = 2, cap: TimeSpan = .hours(24), jitter: Double = 0.25) {
        self.base = base
        self.factor = factor
        self.cap = cap
        self.jitter = jitter
    }

    /// The default policy.
    public static let standard = Backoff()

    /// The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed.
    /// - Parameter unit: a random number in 0..<1 (passed in so tests are exact).
    public func delay(afterAttempt attempt: Int, unit: Double) -> TimeSpan {
        let exponent = Double(max(0, attempt - 1))
        let raw = Double(base.milliseconds) * pow(factor, exponent)
        let capped = min(raw.isFinite ? raw : Double(cap.milliseconds), Double(cap.milliseconds))
        let spread = capped * jitter * (unit * 2 - 1)
        let delay = capped + spread
        // A policy read from a stored job may hold anything: NaN or an infinity ends at the cap.
        guard delay.isFinite else { return cap }
        return TimeSpan(clamping: Int64(min(max(0, delay), Double(TimeSpan.maximumMilliseconds))))
    }

    enum CodingKeys: String, CodingKey { case base, factor, cap, jitter }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func span(_ key: CodingKeys, _ fallback: TimeSpan) throws -> TimeSpan {
            guard let seconds = try c.decodeIfPresent(Double.self, forKey: key) else { return fallback }
            guard let span = TimeSpan(seconds: seconds) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(key.rawValue) must be 0 to \(TimeSpan.maximum) in seconds")
            }
            return span
        }
        base = try span(.base, .seconds(15))
        factor = try c.decodeIfPresent(Double.self, forKey: .factor) ?? 2
        cap = try span(.cap, .hours(24))
        jitter = try c.decodeIfPresent(Double.self, forKey: .jitter) ?? 0.25
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(base.seconds, forKey: .base)
        try c.encode(factor, forKey: .factor)
        try c.encode(cap.seconds, forKey: .cap)
        try c.encode(jitter, forKey: .jitter)
    }
}




