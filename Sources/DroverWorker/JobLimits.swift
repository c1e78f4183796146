import DroverCore
import Foundation

/// The parts of a job's document the worker needs beyond its arguments. Parsed only when the
/// document mentions them, so a plain job costs no extra JSON pass.
struct JobLimits {
    var soft: Duration?
    var hard: Duration?
    var backoffText: Bool

    init(document: String) {
        backoffText = true
        guard document.contains("time_limit\"") else { return }
        let value = try? JSONValue(parsing: document)
        soft = value?["soft_time_limit"]?.double.map { .milliseconds(Int64($0 * 1000)) }
        hard = value?["time_limit"]?.double.map { .milliseconds(Int64($0 * 1000)) }
    }

    /// The job's backoff policy (parsed on failure only).
    static func backoff(document: String) -> Backoff {
        guard let b = (try? JSONValue(parsing: document))?["backoff"] else { return .standard }
        func span(_ v: JSONValue?) -> TimeSpan? { v?.double.map { TimeSpan(milliseconds: Int64(($0 * 1000).rounded())) } }
        return Backoff(base: span(b["base"]) ?? .seconds(15), factor: b["factor"]?.double ?? 2,
                       cap: span(b["cap"]) ?? .hours(24), jitter: b["jitter"]?.double ?? 0.25)
    }
}
