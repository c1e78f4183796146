import Foundation

// MARK: - Next fire time
//
// Cron fields describe a wall clock, but a tick is an instant. The search for the next matching
// wall time runs on plain calendar arithmetic (CivilTime, no zone), and each candidate wall
// time is then resolved to an instant in the entry's zone by these rules (issue 5):
//
// - a wall time that exists once is that instant;
// - a wall time that exists twice (fall back) is its FIRST occurrence only, so a 02:30 job on
//   the fall-back night runs once, in the first 02:30;
// - a wall time that does not exist (spring forward) is the first instant after the gap, so
//   02:30 Europe/Berlin on the last Sunday of March runs at 03:00 CEST. Several wall times in
//   the gap (`*/15` at 02:00, 02:15, 02:30, 02:45) and a real 03:00 tick all become that one
//   instant, and since `next(after:)` returns strictly later instants, it fires once.
//
// With these rules the wall-to-instant mapping never decreases, so the first wall time (in wall
// order) whose instant lies after the given date is the answer. The consequence worth knowing:
// an hourly or every-15-minutes job also fires once per wall time on the fall-back night, so
// there is no tick during the repeated hour (Vixie cron does the same for fixed times, though
// not for `*`-hour jobs; the issue asks for one rule).
//
// Not tested, and not handled exactly: a zone that skips a whole calendar day (Pacific/Apia on
// 2011-12-30) or changes offset twice within two days, because resolve(wall:) brackets a
// transition with the offsets one day either side. No current IANA rule does either.

extension CronSchedule {
    /// How many years ahead `next(after:in:)` looks: one Gregorian cycle and a year.
    static let searchYears: Int64 = 401

    /// The first instant strictly after `date` at which the schedule fires, in `timeZone`.
    ///
    /// Daylight-saving transitions: a local time that does not exist that day fires once at the
    /// first valid instant after the gap; a local time that occurs twice fires once, at its first
    /// occurrence.
    /// - Parameters:
    ///   - date: the instant to search after; the result is always later, by at least a second's
    ///     fraction (fire times are whole seconds).
    ///   - timeZone: the zone whose wall clock the fields describe (the entry's IANA zone).
    /// - Returns: the fire instant, or nil if there is none within the next 401 years (only
    ///   possible for dates near the end of `Date`'s range, since schedules that can never fire
    ///   are rejected when parsed).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        guard date.timeIntervalSince1970.isFinite, abs(date.timeIntervalSince1970) < 1e15 else { return nil }
        let after = Int64(date.timeIntervalSince1970.rounded(.down))
        let zone = ZoneClock(timeZone)
        // Any wall time W firing after `after` satisfies W > after + offset for the offset in
        // force around it (for a gap, the offset before it), so the search can start at the
        // smallest offset nearby instead of a day early.
        let smallestOffset = [after - 86_400, after, after + 86_400].map(zone.offset(at:)).min()!
        var from = after + smallestOffset + 1
        // The Gregorian calendar repeats every 400 years, weekdays included, so a schedule that
        // can fire at all fires within 400 years: `0 0 29 2 */7` (a Sunday February 29) next
        // fires 28 years after 2032, and up to 40 across a century's skipped leap day.
        let yearLimit = CivilTime.civilFromDays(CivilTime.floorDivide(from, 86_400).quotient).year + Self.searchYears
        // Each pass skips one candidate that resolved to an instant not after `after`; there are
        // at most an offset change's worth of those (an hour of every-second ticks).
        for _ in 0..<200_000 {
            guard let wall = nextWallTime(atOrAfter: from, yearLimit: yearLimit) else { return nil }
            let instant = zone.resolve(wall: wall)
            if instant > after { return Date(timeIntervalSince1970: TimeInterval(instant)) }
            from = wall + 1
        }
        return nil
    }

    /// Like `next(after:in:)`, as a tick carrying its idempotency identity.
    /// - Parameters:
    ///   - date: the instant to search after.
    ///   - timeZone: the entry's zone.
    /// - Returns: the next tick, or nil if there is none within 401 years.
    public func nextTick(after date: Date, in timeZone: TimeZone) -> CronTick? {
        next(after: date, in: timeZone).map(CronTick.init(date:))
    }

    /// Every tick strictly after `start` and at or before `end`, oldest first, at most `limit`
    /// of them. For `drover periodic` listings and the scheduler's catch-up window (issue 5).
    /// - Parameters:
    ///   - start: exclusive lower bound.
    ///   - end: inclusive upper bound.
    ///   - timeZone: the entry's zone.
    ///   - limit: the most ticks to return.
    public func ticks(after start: Date, through end: Date, in timeZone: TimeZone, limit: Int = 1000) -> [CronTick] {
        var ticks: [CronTick] = []
        var cursor = start
        while ticks.count < limit, let next = next(after: cursor, in: timeZone), next <= end {
            ticks.append(CronTick(date: next))
            cursor = next
        }
        return ticks
    }

    /// The first wall time at or after `wall` that the fields match, or nil past `yearLimit`.
    func nextWallTime(atOrAfter wall: Int64, yearLimit: Int64) -> Int64? {
        let (days, secondOfDay) = CivilTime.floorDivide(wall, 86_400)
        var (year, month, day) = CivilTime.civilFromDays(days)
        var hour = Int(secondOfDay / 3600)
        var minute = Int(secondOfDay % 3600 / 60)
        var second = Int(secondOfDay % 60)

        func startNextDay() {
            day += 1
            (hour, minute, second) = (0, 0, 0)
        }
        while year <= yearLimit {
            if !months.contains(Int(month)) {
                month += 1
                (day, hour, minute, second) = (1, 0, 0, 0)
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            if day > CivilTime.daysInMonth(year: year, month: month) {
                month += 1
                (day, hour, minute, second) = (1, 0, 0, 0)
                if month > 12 { (year, month) = (year + 1, 1) }
                continue
            }
            let dayNumber = CivilTime.daysFromCivil(year: year, month: month, day: day)
            guard matchesDay(Int(day), weekday: CivilTime.weekday(days: dayNumber)) else {
                startNextDay()
                continue
            }
            guard let nextHour = hours.next(atOrAfter: hour) else {
                startNextDay()
                continue
            }
            if nextHour != hour { (hour, minute, second) = (nextHour, 0, 0) }
            guard let nextMinute = minutes.next(atOrAfter: minute) else {
                (hour, minute, second) = (hour + 1, 0, 0)
                continue
            }
            if nextMinute != minute { (minute, second) = (nextMinute, 0) }
            guard let nextSecond = seconds.next(atOrAfter: second) else {
                (minute, second) = (minute + 1, 0)
                continue
            }
            return dayNumber * 86_400 + Int64(hour * 3600 + minute * 60 + nextSecond)
        }
        return nil
    }
}

/// A time zone's UTC offsets, and the resolution of a wall time to an instant.
struct ZoneClock {
    let timeZone: TimeZone

    init(_ timeZone: TimeZone) { self.timeZone = timeZone }

    /// Seconds east of UTC in force at `instant` (epoch seconds).
    func offset(at instant: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    /// The instant of a wall time, by the rules at the top of this file.
    ///
    /// The offsets a day either side bracket any transition near the wall time (zones change
    /// offset at most a few times a year). A wall time W is real under offset o when the instant
    /// W - o indeed has offset o.
    func resolve(wall: Int64) -> Int64 {
        let before = offset(at: wall - 86_400)
        let after = offset(at: wall + 86_400)
        let valid = Set([before, after]).map { wall - $0 }.filter { offset(at: $0) == wall - $0 }
        if let first = valid.min() { return first }
        // In a gap: `before` < `after`, and the transition instant T lies in (wall - after,
        // wall - before]. Find it by bisection on "offset has changed", to the second.
        guard after > before else { return wall - after }
        var low = wall - after  // offset still `before` here
        var high = wall - before  // offset already `after` here
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == before { low = middle } else { high = middle }
        }
        return high
    }
}
