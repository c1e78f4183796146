import Foundation
internal import Yams

/// How the master stops: `shutdown: { graceful_timeout }`.
public struct ShutdownConfig: Sendable, Equatable {
    /// How long a warm stop (TERM, INT) lets running jobs finish before stopping the rest as
    /// QUIT does. A systemd unit's TimeoutStopSec should exceed it (systemd/drover.service sets it so).
    public var gracefulTimeout: TimeSpan

    /// 30 seconds, as the README's configuration and gunicorn's `graceful_timeout`.
    public static let defaultGracefulTimeout = TimeSpan.seconds(30)

    /// Creates a shutdown config.
    /// - Parameter gracefulTimeout: the warm-stop window.
    public init(gracefulTimeout: TimeSpan = defaultGracefulTimeout) {
        self.gracefulTimeout = gracefulTimeout
    }

    static let keys = ["graceful_timeout"]

    /// Reads `shutdown:`. Zero is allowed: it makes every stop cold.
    static func read(_ node: Node, path: String, reader: inout ConfigReader) -> ShutdownConfig {
        var config = ShutdownConfig()
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return config }
        if let value = fields["graceful_timeout"],
           let span = reader.timeSpan(value, path: fields.path("graceful_timeout"), positive: false) {
            config.gracefulTimeout = span
        }
        return config
    }
}
