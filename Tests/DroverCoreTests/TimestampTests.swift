import Testing
@testable import DroverCore

/// RFC 3339 `date-time` as `drover enqueue --at` and the API's `at` read it (issue 15, item 5:
/// Foundation's parser read `+25:00` like `+02:00`, February 30 as March 2, a 12-digit fraction
/// in the previous year, and accepted year 99999).
@Suite struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", 0),
        ("2026-11-24T09:00:00Z", 1_795_510_800_000),
        ("2026-11-24T09:00:00.5Z", 1_795_510_800_500),
        ("2026-11-24T09:00:00.123456789012Z", 1_795_510_800_123),
        ("2026-11-24T10:00:00+01:00", 1_795_510_800_000),
        ("2026-11-24T04:30:00-04:30", 1_795_510_800_000),
        ("2026-11-24t09:00:00z", 1_795_510_800_000),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000),
        ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ("2026-11-24T23:00:00-23:59", 1_795_647_540_000),
    ] as [(String, Int64)])
    func parsesValidTimes(text: String, milliseconds: Int64) throws {
        #expect(try Timestamp.milliseconds(parsing: text) == milliseconds)
    }

    @Test(arguments: [
        ("2026-11-24T09:00:00+25:00", "offset's hours"),
        ("2026-11-24T09:00:00+02:60", "offset's minutes"),
        ("2026-02-30T09:00:00Z", "day 30"),
        ("2025-02-29T09:00:00Z", "day 29"),
        ("2026-04-31T00:00:00Z", "day 31"),
        ("2026-13-01T00:00:00Z", "month 13"),
        ("2026-00-01T00:00:00Z", "month 0"),
        ("2026-11-24T24:00:00Z", "hour 24"),
        ("2026-11-24T09:60:00Z", "minute 60"),
        ("2026-11-24T09:00:60Z", "second 60"),
        ("99999-11-24T09:00:00Z", "expected '-'"),
        ("2026-11-24T09:00:00", "no offset"),
        ("2026-11-24 09:00:00Z", "'T'"),
        ("2026-11-24T09:00:00.Z", "followed by digits"),
        ("2026-11-24T09:00:00Zjunk", "after the offset"),
        ("2026-11-24T9:00:00Z", "2 digits"),
        ("1969-12-31T23:59:59Z", "before 1970"),
        ("1970-01-01T00:30:00+01:00", "before 1970"),
        ("9999-12-31T23:59:59-01:00", "after 9999"),
        ("", "ends before"),
        ("2026-11-24T09:00:00.\(String(repeating: "1", count: 60))Z", "longer than 64"),
    ])
    func refusesWhatRFC3339DoesNotAllowWithAReason(text: String, reason: String) {
        #expect {
            try Timestamp.milliseconds(parsing: text)
        } throws: { error in
            let error = error as! Timestamp.ParseError
            return error.input == text && error.reason.contains(reason)
        }
    }

    @Test func writingStaysInsideTheFormatsYears() {
        #expect(Timestamp.rfc3339(milliseconds: 1_795_510_800_123) == "2026-11-24T09:00:00.123Z")
        #expect(Timestamp.rfc3339(milliseconds: .max) == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp.rfc3339(milliseconds: -5) == "1970-01-01T00:00:00.000Z")
    }
}
