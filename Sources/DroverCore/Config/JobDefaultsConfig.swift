import Foundation
internal import Yams

/// Limits for jobs whose job and pool set none: `defaults: { soft_time_limit, time_limit }`.
/// Issue 4: "Limits come from the job, else the pool, else the config default."
public struct JobDefaultsConfig: Sendable, Equatable {
    /// The default soft limit (nil: none).
    public var softTimeLimit: TimeSpan?
    /// The default hard limit (nil: none).
    public var timeLimit: TimeSpan?

    /// Creates job defaults.
    /// - Parameters:
    ///   - softTimeLimit: the default soft limit.
    ///   - timeLimit: the default hard limit.
    public init(softTimeLimit: TimeSpan? = nil, timeLimit: TimeSpan? = nil) {
        self.softTimeLimit = softTimeLimit
        self.timeLimit = timeLimit
    }

    static let keys = ["soft_time_limit", "time_limit"]

    /// Reads `defaults:`. Problems go to `reader`.
    static func read(_ node: Node, path: String, reader: inout ConfigReader) -> JobDefaultsConfig {
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return JobDefaultsConfig() }
        let (soft, hard) = reader.timeLimits(fields)
        return JobDefaultsConfig(softTimeLimit: soft, timeLimit: hard)
    }
}
