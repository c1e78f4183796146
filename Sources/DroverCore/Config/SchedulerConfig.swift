import Foundation
internal import Yams

/// The scheduler child: `scheduler: true`, or `scheduler: { enabled, catch_up }`.
public struct SchedulerConfig: Sendable, Equatable {
    /// Whether the master forks a scheduler child.
    public var enabled: Bool
    /// How old a periodic tick missed while no scheduler ran may be and still fire (once) on
    /// start-up; older ones are skipped and logged (issue 5).
    public var catchUp: TimeSpan

    /// Five minutes: long enough to cover a restart or a deploy, short enough that a scheduler
    /// back after an outage does not run yesterday's jobs.
    public static let defaultCatchUp = TimeSpan.minutes(5)

    /// Creates a scheduler config.
    /// - Parameters:
    ///   - enabled: whether to fork a scheduler child.
    ///   - catchUp: the catch-up window.
    public init(enabled: Bool = false, catchUp: TimeSpan = defaultCatchUp) {
        self.enabled = enabled
        self.catchUp = catchUp
    }

    static let keys = ["enabled", "catch_up"]

    /// Reads `scheduler:`, a boolean or a mapping. A mapping without `enabled` means enabled:
    /// writing the section at all says you want it.
    static func read(_ node: Node, path: String, reader: inout ConfigReader) -> SchedulerConfig {
        var config = SchedulerConfig()
        if node.mapping == nil {
            config.enabled = reader.bool(node, path: path) ?? false
            return config
        }
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return config }
        config.enabled = fields["enabled"].flatMap { reader.bool($0, path: fields.path("enabled")) } ?? true
        if let value = fields["catch_up"], let span = reader.timeSpan(value, path: fields.path("catch_up"), positive: false) {
            config.catchUp = span
        }
        return config
    }
}
