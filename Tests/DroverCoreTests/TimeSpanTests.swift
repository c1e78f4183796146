import Foundation
import Testing
@testable import DroverCore

@Suite struct TimeSpanTests {
    @Test(arguments: [
        ("500ms", 500), ("30s", 30_000), ("2m", 120_000), ("1h", 3_600_000), ("1d", 86_400_000),
        ("1h30m", 5_400_000), ("1d2h3m4s5ms", 93_784_005), ("2.5", 2500), ("0", 0), ("0s", 0),
        ("1.5h", 5_400_000), ("  45s\n", 45_000), ("10S", 10_000), ("0.0004", 0), ("0.0006s", 1),
    ] as [(String, Int64)])
    func parsesUnitsCompoundsAndPlainSeconds(text: String, milliseconds: Int64) throws {
        #expect(try TimeSpan(parsing: text).milliseconds == milliseconds)
    }

    @Test(arguments: [
        ("", "empty"), ("-5s", "negative"), ("abc", "unexpected"), ("5x", "unknown unit"),
        ("30m1h", "largest to smallest"), ("1h1h", "largest to smallest"), ("1h30", "no unit"),
        ("1..5s", "not a number"), ("s", "unexpected"), ("1e400", "unknown unit"), ("99999999999999999d", "longer than"),
        ("115741d", "longer than the longest accepted, 36500d"), ("36500d1ms", "longer than"),
    ])
    func rejectsGarbageWithAReason(text: String, reasonFragment: String) {
        #expect {
            try TimeSpan(parsing: text)
        } throws: { error in
            let error = error as! TimeSpan.ParseError
            return error.input == text && error.reason.contains(reasonFragment)
                && error.description.hasPrefix("invalid duration \"\(text)\"")
        }
    }

    @Test func exposesSecondsMillisecondsAndDuration() throws {
        let span = try TimeSpan(parsing: "1m30.25s")
        #expect(span.milliseconds == 90_250)
        #expect(span.seconds == 90.25)
        #expect(span.duration == .milliseconds(90_250))
    }

    @Test(arguments: [
        (0, "0s"), (500, "500ms"), (30_000, "30s"), (5_400_000, "1h30m"), (2500, "2s500ms"),
        (86_400_000, "1d"), (90_061_001, "1d1h1m1s1ms"),
    ] as [(Int64, String)])
    func formatsCanonicallyAndRoundTrips(milliseconds: Int64, text: String) throws {
        let span = TimeSpan(milliseconds: milliseconds)
        #expect(span.description == text)
        #expect(try TimeSpan(parsing: text) == span)
    }

    @Test func worksAsLosslessStringConvertibleForFlags() {
        #expect(TimeSpan("30s") == .seconds(30))
        #expect(TimeSpan("thirty") == nil)
        #expect(TimeSpan.minutes(2) < TimeSpan.hours(1))
    }

    /// Issue 15, item 1: every duration from outside is bounded, so the arithmetic on it holds.
    @Test func theLongestSpanIsAHundredYearsAndIsAccepted() throws {
        #expect(try TimeSpan(parsing: "36500d") == TimeSpan.maximum)
        #expect(TimeSpan.maximum.milliseconds == 36_500 * 86_400_000)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, -1, -0.001, 1e300, 3_153_600_000.001, Double(Int64.max)])
    func numbersOfSecondsOutsideTheRangeAreRefused(seconds: Double) {
        #expect(TimeSpan(seconds: seconds) == nil)
    }

    @Test func numbersOfSecondsInsideTheRangeRoundToTheMillisecond() {
        #expect(TimeSpan(seconds: 0)?.milliseconds == 0)
        #expect(TimeSpan(seconds: 1.0004)?.milliseconds == 1000)
        #expect(TimeSpan(seconds: 3_153_600_000) == TimeSpan.maximum)
        #expect(TimeSpan(exactly: -1) == nil)
        #expect(TimeSpan(exactly: TimeSpan.maximumMilliseconds + 1) == nil)
        #expect(TimeSpan(clamping: -5) == .zero)
        #expect(TimeSpan(clamping: .max) == TimeSpan.maximum)
    }

    @Test func durationMillisecondsSaturateInsteadOfTrapping() {
        #expect(Duration.seconds(Int64.max).milliseconds == .max)
        #expect(Duration.seconds(Int64.min).milliseconds == .min)
        #expect(Duration.milliseconds(1500).milliseconds == 1500)
    }

    @Test func aStoredBackoffOutsideTheRangeIsRefusedAndAComputedOneStaysInRange() throws {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Backoff.self, from: Data(#"{"base": 1e300}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Backoff.self, from: Data(#"{"cap": -1}"#.utf8)) }
        let wild = Backoff(base: .maximum, factor: .infinity, cap: .maximum, jitter: .nan)
        #expect(wild.delay(afterAttempt: 1_000_000, unit: 0.5) == .maximum)
        let huge = Backoff(base: .maximum, factor: 1e300, cap: .maximum, jitter: 1)
        #expect(huge.delay(afterAttempt: 50, unit: 0.99) == .maximum)
    }
}
