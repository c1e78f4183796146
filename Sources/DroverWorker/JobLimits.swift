import DroverCore
import Foundation

/// The parts of a job's document the worker needs beyond its arguments. Parsed only when the
/// document mentions them, so a plain job costs no extra JSON pass.
struct JobLimits {
    var soft: Duration?
    var hard: Duration?

    init(document: String) {
        guard JobLimits.mentions(document, "time_limit\"") else { return }
        let value = try? JSONValue(parsing: document)
        // A limit outside TimeSpan's range cannot have been written by Drover's enqueue, which
        // refuses it: such a document is read as having no limit rather than trapping.
        soft = value?["soft_time_limit"]?.double.flatMap { TimeSpan(seconds: $0)?.duration }
        hard = value?["time_limit"]?.double.flatMap { TimeSpan(seconds: $0)?.duration }
    }

    /// A byte search: Foundation's `contains` goes through CFString and showed up in profiles.
    static func mentions(_ text: String, _ needle: StaticString) -> Bool {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = pattern.first else { return true }
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= pattern.count else { return false }
            var i = 0
            while i <= bytes.count - pattern.count {
                if bytes[i] == first {
                    var j = 1
                    while j < pattern.count && bytes[i + j] == pattern[j] { j += 1 }
                    if j == pattern.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    /// The job's backoff policy (parsed on failure only).
    static func backoff(document: String) -> Backoff {
        guard let b = (try? JSONValue(parsing: document))?["backoff"] else { return .standard }
        func span(_ v: JSONValue?) -> TimeSpan? { v?.double.flatMap { TimeSpan(seconds: $0) } }
        return Backoff(base: span(b["base"]) ?? .seconds(15), factor: b["factor"]?.double ?? 2,
                       cap: span(b["cap"]) ?? .hours(24), jitter: b["jitter"]?.double ?? 0.25)
    }
}
