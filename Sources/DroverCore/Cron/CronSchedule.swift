/// A cron schedule: five fields (minute hour day-of-month month day-of-week), or six with a
/// leading seconds field, or a shorthand such as `@daily`.
///
/// Syntax is Vixie cron's (crontab(5)): lists `1,15`, ranges `9-17`, steps `*/15` and `0-30/10`,
/// month and weekday names (`jan`, `mon-fri`), 0 or 7 for Sunday. When both day-of-month and
/// day-of-week are restricted, a day matches if EITHER matches (the crontab(5) rule).
///
/// `next(after:in:)` computes fire times in an IANA time zone; see
/// `CronSchedule+Next.swift` for how daylight-saving transitions are handled.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written (trimmed).
    public let expression: String
    /// Whether the expression had a seconds field (six fields).
    public let hasSecondsField: Bool

    let seconds: CronField
    let minutes: CronField
    let hours: CronField
    let daysOfMonth: CronField
    let months: CronField
    let daysOfWeek: CronField

    /// The shorthands and what they stand for. `@reboot` is left out on purpose: a scheduler has
    /// no boot to attach it to, so it is rejected rather than silently never run.
    static let shorthands: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    /// Parses a cron expression.
    /// - Parameter expression: five or six whitespace-separated fields, or a shorthand
    ///   (`@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`).
    /// - Throws: `CronSchedule.ParseError` naming the field and the bad token, or saying that the
    ///   schedule can never fire (such as `0 0 30 2 *`).
    public init(parsing expression: String) throws(ParseError) {
        let trimmed = expression.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        self.expression = trimmed
        var text = trimmed
        if trimmed.hasPrefix("@") {
            guard let expanded = Self.shorthands[trimmed.lowercased()] else {
                throw ParseError(field: nil, token: trimmed, reason: "is not a known shorthand (\(Self.shorthandList))")
            }
            text = expanded
        }
        var fields = text.split(separator: " ").map(String.init)
        guard fields.count == 5 || fields.count == 6 else {
            throw ParseError(
                field: nil, token: nil,
                reason: "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading "
                    + "seconds field, found \(fields.count)"
            )
        }
        hasSecondsField = fields.count == 6
        if !hasSecondsField { fields.insert("0", at: 0) }
        seconds = try CronFieldKind.second.parse(fields[0])
        minutes = try CronFieldKind.minute.parse(fields[1])
        hours = try CronFieldKind.hour.parse(fields[2])
        daysOfMonth = try CronFieldKind.dayOfMonth.parse(fields[3])
        months = try CronFieldKind.month.parse(fields[4])
        daysOfWeek = try CronFieldKind.dayOfWeek.parse(fields[5])
        try checkCanFire()
    }

    private static var shorthandList: String {
        shorthands.keys.sorted().joined(separator: ", ")
    }

    /// Rejects day-of-month and month combinations that never occur (`0 0 31 4 *`), which Vixie
    /// cron accepts and then never runs: an operator would wait for a job that never comes.
    private func checkCanFire() throws(ParseError) {
        // With a restricted weekday the OR rule, or the weekday alone, always finds days.
        if daysOfWeek.isRestricted { return }
        let longestMonth = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let possible = months.values.contains { month in
            daysOfMonth.values.contains { $0 <= longestMonth[month] }
        }
        if !possible {
            throw ParseError(
                field: "day-of-month", token: nil,
                reason: "no day in the day-of-month field occurs in the months of the month field, so the schedule never fires"
            )
        }
    }

    /// Whether a day matches the day-of-month and day-of-week fields, with crontab(5)'s OR rule.
    /// - Parameters:
    ///   - day: day of the month, 1...31.
    ///   - weekday: 0 (Sunday) ... 6 (Saturday).
    func matchesDay(_ day: Int, weekday: Int) -> Bool {
        let dom = daysOfMonth.contains(day)
        let dow = daysOfWeek.contains(weekday)
        if daysOfMonth.isRestricted && daysOfWeek.isRestricted { return dom || dow }
        return dom && dow
    }

    /// The expression as written.
    public var description: String { expression }

    /// Two schedules are equal when their fields allow the same values, however spelled (`mon` or `1`,
    /// `@daily` or `0 0 * * *`).
    public static func == (lhs: CronSchedule, rhs: CronSchedule) -> Bool {
        lhs.seconds == rhs.seconds && lhs.minutes == rhs.minutes && lhs.hours == rhs.hours
            && lhs.daysOfMonth == rhs.daysOfMonth && lhs.months == rhs.months && lhs.daysOfWeek == rhs.daysOfWeek
    }

    public func hash(into hasher: inout Hasher) {
        for field in [seconds, minutes, hours, daysOfMonth, months, daysOfWeek] { hasher.combine(field) }
    }
}

// MARK: - Errors

extension CronSchedule {
    /// Why a cron expression did not parse: the field, the bad token, and the reason.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The field at fault ("minute", "day-of-week", …), or nil for the expression as a whole.
        public var field: String?
        /// The offending token, if one can be named.
        public var token: String?
        /// What is wrong, for an operator.
        public var reason: String

        /// `minute field: "61" is out of range 0-59`.
        public var description: String {
            var text = field.map { "\($0) field: " } ?? ""
            if let token { text += "\"\(token)\" " }
            return text + reason
        }
    }
}
