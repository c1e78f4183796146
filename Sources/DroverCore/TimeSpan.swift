/// A non-negative length of time with millisecond resolution, written the way operators write it:
/// `500ms`, `30s`, `2m`, `1h`, `1d`, `1h30m`, or a plain number of seconds (`2.5`).
///
/// Used for `--in 30s`, time limits, the graceful timeout and the scheduler's catch-up window.
/// Milliseconds are the resolution because that is what the job document stores (RFC 3339 with
/// milliseconds, README "Concepts"); a finer input is rounded to the nearest millisecond.
///
/// `description` writes the canonical form (`1h30m`, `2s500ms`, `0s`), which parses back to the
/// same value, so a config can be printed and re-read.
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// The length in milliseconds; never negative.
    public let milliseconds: Int64

    /// Creates a span of `milliseconds`.
    /// - Parameter milliseconds: the length; must lie in `0...maximum` (a programming error
    ///   otherwise: values that come from outside go through ``init(exactly:)``,
    ///   ``init(seconds:)`` or ``init(clamping:)``).
    public init(milliseconds: Int64) {
        precondition(milliseconds >= 0 && milliseconds <= TimeSpan.maximumMilliseconds, "TimeSpan out of range")
        self.milliseconds = milliseconds
    }

    /// A span of `milliseconds`, or nil when that is negative or longer than ``maximum``.
    /// - Parameter milliseconds: a length that came from outside (a stored record, a child's line).
    public init?(exactly milliseconds: Int64) {
        guard milliseconds >= 0, milliseconds <= TimeSpan.maximumMilliseconds else { return nil }
        self.milliseconds = milliseconds
    }

    /// A span of `seconds` (rounded to the millisecond), or nil when that is not finite, negative
    /// or longer than ``maximum``: the one conversion from a JSON or command-line number.
    /// - Parameter seconds: a length that came from outside.
    public init?(seconds: Double) {
        let milliseconds = (seconds * 1000).rounded(.toNearestOrAwayFromZero)
        guard milliseconds.isFinite, milliseconds >= 0, milliseconds <= Double(TimeSpan.maximumMilliseconds) else { return nil }
        self.milliseconds = Int64(milliseconds)
    }

    /// `milliseconds` brought into `0...maximum`, for lengths Drover computes itself (a backoff, a
    /// remaining time) where the nearest representable span is the right answer.
    /// - Parameter milliseconds: the computed length.
    public init(clamping milliseconds: Int64) {
        self.milliseconds = Swift.min(Swift.max(milliseconds, 0), TimeSpan.maximumMilliseconds)
    }

    /// The longest span Drover accepts anywhere: 36500 days (100 years).
    ///
    /// Every duration from outside (time limits, `in`, TTLs, backoff, config values) is bounded by
    /// it, so that any instant Drover computes from one stays in range: on the monotonic clock in
    /// nanoseconds (100 years is about a third of `Int64`'s 292), and on the wall clock within
    /// the four-digit years of RFC 3339.
    public static let maximum = TimeSpan(milliseconds: maximumMilliseconds)

    /// ``maximum`` in milliseconds.
    public static let maximumMilliseconds: Int64 = 36_500 * 86_400_000

    /// A span of whole seconds (a constant in Drover's own code).
    public static func seconds(_ seconds: Int64) -> TimeSpan { TimeSpan(milliseconds: seconds * 1000) }
    /// A span of whole minutes.
    public static func minutes(_ minutes: Int64) -> TimeSpan { .seconds(minutes * 60) }
    /// A span of whole hours.
    public static func hours(_ hours: Int64) -> TimeSpan { .seconds(hours * 3600) }
    /// The empty span.
    public static let zero = TimeSpan(milliseconds: 0)

    /// The length in seconds, with the milliseconds as a fraction (for `TimeInterval` APIs).
    public var seconds: Double { Double(milliseconds) / 1000 }

    /// The same length as a Swift `Duration`.
    public var duration: Duration { .milliseconds(milliseconds) }

    /// Whether the span is zero long.
    public var isZero: Bool { milliseconds == 0 }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.milliseconds < rhs.milliseconds }

    // MARK: - Parsing

    /// Why a duration did not parse, with the text that was given.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The text that failed to parse.
        public var input: String
        /// What is wrong with it, for an operator.
        public var reason: String

        /// `invalid duration "<input>": <reason>`.
        public var description: String { "invalid duration \"\(input)\": \(reason)" }
    }

    /// The units in the order a compound span must use them (largest first, as in `1h30m`).
    private static let units: [(name: String, milliseconds: Double)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses `500ms`, `30s`, `2m`, `1h`, `1d`, compounds such as `1h30m` (largest unit first, each
    /// unit once), decimals such as `1.5h`, and a plain number of seconds such as `2.5`.
    /// Surrounding whitespace is ignored.
    /// - Parameter text: the text to parse.
    /// - Throws: `TimeSpan.ParseError` for an empty, negative, malformed or absurdly large span.
    public init(parsing text: String) throws(ParseError) {
        func fail(_ reason: String) -> ParseError { ParseError(input: text, reason: reason) }
        let hint = "expected a number with a unit (ms, s, m, h, d) such as 30s or 1h30m, or a number of seconds"
        let trimmed = Self.trimmingSpaces(text)
        guard !trimmed.isEmpty else { throw fail("it is empty; \(hint)") }
        if trimmed.first == "-" { throw fail("a duration must not be negative") }

        var total = 0.0
        var remaining = Substring(trimmed)
        // Index into `units` that the next component must come after, so `30m1h` and `1h1h` fail.
        var nextAllowedUnit = 0
        var sawUnit = false
        while !remaining.isEmpty {
            let number = remaining.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty else {
                throw fail("unexpected \"\(remaining.first!)\"; \(hint)")
            }
            guard number.filter({ $0 == "." }).count <= 1, number != ".", let value = Double(number) else {
                throw fail("\"\(number)\" is not a number; \(hint)")
            }
            remaining = remaining.dropFirst(number.count)
            let unitText = remaining.prefix { $0.isLetter }
            remaining = remaining.dropFirst(unitText.count)
            if unitText.isEmpty {
                // A bare number is seconds, but only on its own: `1h30` is ambiguous.
                guard !sawUnit, remaining.isEmpty else { throw fail("\"\(number)\" has no unit; \(hint)") }
                total = value * 1000
                break
            }
            guard let unitIndex = Self.units.firstIndex(where: { $0.name == unitText.lowercased() }) else {
                throw fail("unknown unit \"\(unitText)\"; \(hint)")
            }
            guard unitIndex >= nextAllowedUnit else {
                throw fail("units must go from largest to smallest, each once (as in 1h30m)")
            }
            nextAllowedUnit = unitIndex + 1
            sawUnit = true
            total += value * Self.units[unitIndex].milliseconds
        }
        let rounded = total.rounded(.toNearestOrAwayFromZero)
        guard rounded.isFinite, rounded <= Double(Self.maximumMilliseconds) else {
            throw fail("it is longer than the longest accepted, \(Self.maximum) (100 years)")
        }
        self.init(milliseconds: Int64(rounded))
    }

    /// Parses like `init(parsing:)`, returning nil on failure (so `TimeSpan` works as a
    /// `LosslessStringConvertible` command-line argument).
    /// - Parameter description: the text to parse.
    public init?(_ description: String) {
        do { try self.init(parsing: description) } catch { return nil }
    }

    private static func trimmingSpaces(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }

    // MARK: - Formatting

    /// The canonical form: units largest first, zero units left out (`1h30m`, `2s500ms`, `1d`),
    /// and `0s` for zero. It parses back to the same span.
    public var description: String {
        guard milliseconds > 0 else { return "0s" }
        var rest = milliseconds
        var text = ""
        for (name, size) in Self.units {
            let unit = Int64(size)
            if rest >= unit {
                text += "\(rest / unit)\(name)"
                rest %= unit
            }
        }
        return text
    }
}

extension Duration {
    /// Whole milliseconds, rounded toward zero (limits, leases and delays travel as ms); a
    /// duration past `Int64`'s milliseconds saturates instead of trapping.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, carry) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        if carry { return whole < 0 ? .min : .max }
        return sum
    }
}
