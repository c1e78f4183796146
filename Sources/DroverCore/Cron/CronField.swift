/// One field of a cron expression as the set of values it allows.
///
/// Values fit in 0...63, so the set is a 64-bit mask: matching and "next allowed value" are a
/// few bit operations, which keeps `CronSchedule.next(after:in:)` cheap even for every-second
/// schedules.
struct CronField: Sendable, Hashable {
    /// Bit `v` is set when value `v` is allowed.
    var mask: UInt64
    /// False when the field was written starting with `*` (or `?`). Vixie cron uses exactly this
    /// test for its day-of-month / day-of-week OR rule (crontab(5): "if both fields are
    /// restricted (i.e., don't start with *), the command will be run when either field
    /// matches"), so `*/2` counts as unrestricted there too.
    var isRestricted: Bool

    func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && mask & (1 << UInt64(value)) != 0
    }

    /// The smallest allowed value that is at least `value`, or nil if none is.
    func next(atOrAfter value: Int) -> Int? {
        guard value < 64 else { return nil }
        let candidates = mask & (~0 << UInt64(max(value, 0)))
        return candidates == 0 ? nil : candidates.trailingZeroBitCount
    }

    /// The allowed values in increasing order.
    var values: [Int] { (0..<64).filter(contains) }
}

/// What each of the six fields accepts.
struct CronFieldKind: Sendable {
    /// The name used in error messages ("minute field: …").
    var name: String
    var range: ClosedRange<Int>
    /// Lower-case names for values (jan = 1, sun = 0), matched case-insensitively.
    var names: [String: Int] = [:]

    static let second = CronFieldKind(name: "second", range: 0...59)
    static let minute = CronFieldKind(name: "minute", range: 0...59)
    static let hour = CronFieldKind(name: "hour", range: 0...23)
    static let dayOfMonth = CronFieldKind(name: "day-of-month", range: 1...31)
    static let month = CronFieldKind(
        name: "month",
        range: 1...12,
        names: ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
                "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
    )
    /// 0 and 7 are both Sunday, as in Vixie cron; 7 is folded into 0 after parsing.
    static let dayOfWeek = CronFieldKind(
        name: "day-of-week",
        range: 0...7,
        names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
    )

    /// Parses one field: `*`, `5`, `1,15`, `9-17`, `*/15`, `0-30/10`, `10/5` (10 to the end, step
    /// 5, as Vixie cron), names (`mon-fri`, `jan,jul`). `?` means `*` in the day fields (Quartz).
    func parse(_ text: String) throws(CronSchedule.ParseError) -> CronField {
        func fail(_ token: String, _ reason: String) -> CronSchedule.ParseError {
            CronSchedule.ParseError(field: name, token: token, reason: reason)
        }
        let allowsQuestionMark = self.name == Self.dayOfMonth.name || self.name == Self.dayOfWeek.name
        var mask: UInt64 = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !item.isEmpty else { throw fail(text, "has an empty list item") }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2 else { throw fail(item, "has more than one step (/)") }
            let base = parts[0]
            var step = 1
            if parts.count == 2 {
                guard let parsed = Int(parts[1]), parsed >= 1, parsed <= range.upperBound else {
                    throw fail(item, "step \"\(parts[1])\" must be a whole number from 1 to \(range.upperBound)")
                }
                step = parsed
            }
            let low: Int
            let high: Int
            if base == "*" || (allowsQuestionMark && base == "?") {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(String(base[..<dash]), in: item)
                high = try value(String(base[base.index(after: dash)...]), in: item)
                guard low <= high else {
                    throw fail(item, "range \(base) runs backwards; write it as two ranges joined by a comma")
                }
            } else {
                low = try value(base, in: item)
                // `10/5` means 10 to the end in steps of 5; a bare `10` is just 10.
                high = parts.count == 2 ? range.upperBound : low
            }
            for v in stride(from: low, through: high, by: step) {
                mask |= 1 << UInt64(v)
            }
        }
        if self.name == Self.dayOfWeek.name, mask & (1 << 7) != 0 {
            mask = (mask & ~(1 << 7)) | 1
        }
        let first = text.first
        return CronField(mask: mask, isRestricted: first != "*" && first != "?")
    }

    private func value(_ token: String, in item: String) throws(CronSchedule.ParseError) -> Int {
        if !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(token) {
            guard range.contains(number) else {
                throw CronSchedule.ParseError(
                    field: name, token: token,
                    reason: "is out of range \(range.lowerBound)-\(range.upperBound)"
                )
            }
            return number
        }
        if let named = names[token.lowercased()] { return named }
        let expected = names.isEmpty
            ? "a number from \(range.lowerBound) to \(range.upperBound)"
            : "a number from \(range.lowerBound) to \(range.upperBound) or a name (\(nameHint))"
        throw CronSchedule.ParseError(field: name, token: token.isEmpty ? item : token, reason: "is not \(expected)")
    }

    private var nameHint: String {
        names.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ")
    }
}
