import Foundation

/// Times in Drover: integers of milliseconds since the Unix epoch in Redis (cheap to compare in
/// Lua), RFC 3339 with milliseconds in UTC wherever a person or another program reads them.
public enum Timestamp {
    /// Milliseconds since the epoch, now.
    public static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// `2026-11-23T19:48:53.123Z`. An instant outside 1970...9999 (which no parser of Drover's
    /// accepts) is written as the nearest end of that range, so the output is always RFC 3339.
    public static func rfc3339(milliseconds: Int64) -> String {
        let milliseconds = min(max(milliseconds, 0), latestMilliseconds)
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let ms = Int(milliseconds % 1000)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
    }

    /// Why a text is not an RFC 3339 time Drover accepts, for an operator.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The text that was given.
        public var input: String
        /// What is wrong with it.
        public var reason: String

        /// `not an RFC 3339 time "<input>": <reason>`.
        public var description: String {
            "not an RFC 3339 time \"\(input)\": \(reason) (expected e.g. 2026-11-24T09:00:00Z or 2026-11-24T10:00:00.5+01:00)"
        }
    }

    /// The last instant Drover accepts or writes: 9999-12-31T23:59:59.999Z, RFC 3339's last
    /// four-digit year.
    public static let latestMilliseconds: Int64 = (CivilTime.daysFromCivil(year: 10_000, month: 1, day: 1) * 86_400_000) - 1

    /// Parses an RFC 3339 `date-time` (RFC 3339 section 5.6): `YYYY-MM-DDThh:mm:ss`, an optional
    /// fraction of any length (cut to the millisecond), and `Z` or an offset `+hh:mm` / `-hh:mm`
    /// with hours 00–23 and minutes 00–59. `T` and `Z` may be lower case (section 5.6's note).
    /// Each field is checked against the calendar (February 30 and 25:00 are refused, not
    /// carried into the next month or day); second 60 is accepted for a leap second only at
    /// 23:59 and read as the next instant, as POSIX time has no leap seconds. The instant must lie
    /// in 1970-01-01T00:00:00Z ... 9999-12-31T23:59:59.999Z.
    /// - Parameter text: the text to parse.
    /// - Returns: milliseconds since the epoch.
    /// - Throws: `Timestamp.ParseError` with the first problem found.
    public static func milliseconds(parsing text: String) throws(ParseError) -> Int64 {
        func fail(_ reason: String) -> ParseError { ParseError(input: text, reason: reason) }
        let bytes = Array(text.utf8.prefix(65))
        guard bytes.count <= 64 else { throw fail("it is longer than 64 characters") }
        var index = 0
        func digits(_ count: Int, _ what: String) throws(ParseError) -> Int64 {
            guard index + count <= bytes.count else { throw fail("it ends before the \(what)") }
            var value: Int64 = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 0x30 && byte <= 0x39 else { throw fail("the \(what) must be \(count) digits") }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += count
            return value
        }
        func expect(_ characters: String, _ what: String) throws(ParseError) {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { throw fail("expected \(what)") }
            index += 1
        }
        let year = try digits(4, "year")
        try expect("-", "'-' after the year")
        let month = try digits(2, "month")
        try expect("-", "'-' after the month")
        let day = try digits(2, "day")
        try expect("Tt", "'T' between the date and the time")
        let hour = try digits(2, "hour")
        try expect(":", "':' after the hour")
        let minute = try digits(2, "minute")
        try expect(":", "':' after the minute")
        let second = try digits(2, "second")
        var fraction: Int64 = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            let first = index
            var scale: Int64 = 100
            while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 {
                fraction += Int64(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > first else { throw fail("a '.' must be followed by digits") }
        }
        guard index < bytes.count else { throw fail("it has no offset: add Z for UTC or +hh:mm") }
        var offsetMinutes: Int64 = 0
        switch bytes[index] {
        case 0x5A, 0x7A:
            index += 1
        case 0x2B, 0x2D:
            let sign: Int64 = bytes[index] == 0x2B ? 1 : -1
            index += 1
            let offsetHour = try digits(2, "offset's hours")
            try expect(":", "':' in the offset")
            let offsetMinute = try digits(2, "offset's minutes")
            guard offsetHour <= 23 else { throw fail("the offset's hours must be 00 to 23, not \(offsetHour)") }
            guard offsetMinute <= 59 else { throw fail("the offset's minutes must be 00 to 59, not \(offsetMinute)") }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
        default:
            throw fail("expected Z or an offset such as +01:00 after the time")
        }
        guard index == bytes.count else { throw fail("unexpected text after the offset") }
        guard (1...12).contains(month) else { throw fail("month \(month) is not 01 to 12") }
        let monthDays = CivilTime.daysInMonth(year: year, month: month)
        guard (1...monthDays).contains(day) else { throw fail("day \(day) is not in \(year)-\(month < 10 ? "0" : "")\(month), which has \(monthDays) days") }
        guard hour <= 23 else { throw fail("hour \(hour) is not 00 to 23") }
        guard minute <= 59 else { throw fail("minute \(minute) is not 00 to 59") }
        guard second <= 59 || (second == 60 && hour == 23 && minute == 59) else {
            throw fail("second \(second) is not 00 to 59 (60 only for a leap second at 23:59)")
        }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let local = ((days * 24 + hour) * 60 + minute) * 60 + second
        let milliseconds = (local - offsetMinutes * 60) * 1000 + fraction
        guard milliseconds >= 0 else { throw fail("it is before 1970-01-01T00:00:00Z") }
        guard milliseconds <= latestMilliseconds else { throw fail("it is after 9999-12-31T23:59:59.999Z") }
        return milliseconds
    }
}
