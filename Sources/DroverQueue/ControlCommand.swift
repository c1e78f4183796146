import DroverCore
import Foundation

/// An instruction to one running supervisor, sent through Redis by `drover control` (or the
/// API) and picked up by the master on its next publish, within about a second.
public enum ControlCommand: Sendable, Equatable {
    /// Add `delta` children to a pool (negative: remove; never below one).
    case scale(pool: String, delta: Int)
    /// Warm stop, as TERM: running jobs finish, then the master exits.
    case shutdown

    /// The wire form: `{"command":"scale","pool":"default","delta":2}` or `{"command":"shutdown"}`.
    public var json: String {
        switch self {
        case let .scale(pool, delta):
            return #"{"command":"scale","delta":\#(delta),"pool":"# + JSONWriter.quoted(pool) + "}"
        case .shutdown:
            return #"{"command":"shutdown"}"#
        }
    }

    /// Reads the wire form; nil for anything else, which the master logs and drops.
    public init?(json: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let command = object["command"] as? String else { return nil }
        switch command {
        case "scale":
            guard let pool = object["pool"] as? String, let delta = object["delta"] as? Int else { return nil }
            self = .scale(pool: pool, delta: delta)
        case "shutdown":
            self = .shutdown
        default:
            return nil
        }
    }
}
