import Foundation
@testable import DroverCore

/// An instant from `2026-03-29T01:00:00Z`-style text; traps on a typo in a test.
func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    guard let date = formatter.date(from: text) else { fatalError("bad test instant \(text)") }
    return date
}

func zone(_ identifier: String) -> TimeZone {
    guard let zone = TimeZone(identifier: identifier) else { fatalError("no zone \(identifier)") }
    return zone
}

extension CronSchedule {
    /// The first `count` fire times after `start`, as UTC text, for compact expectations.
    func fireTimes(after start: String, in zone: TimeZone, count: Int) -> [String] {
        let formatter = ISO8601DateFormatter()
        var cursor = utc(start)
        var result: [String] = []
        for _ in 0..<count {
            guard let next = next(after: cursor, in: zone) else { break }
            result.append(formatter.string(from: next))
            cursor = next
        }
        return result
    }
}
