import Foundation
import Testing
@testable import DroverCore

/// Fire times for ordinary schedules, fed fixed instants: no test waits for the wall clock.
@Suite struct CronNextTests {
    let utcZone = zone("UTC")

    @Test func everyFifteenMinutes() throws {
        let cron = try CronSchedule(parsing: "*/15 * * * *")
        #expect(cron.fireTimes(after: "2026-01-01T10:07:00Z", in: utcZone, count: 3)
            == ["2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z", "2026-01-01T10:45:00Z"])
    }

    @Test func nextIsStrictlyAfterEvenOnATickAndWithFractions() throws {
        let cron = try CronSchedule(parsing: "0 * * * *")
        #expect(cron.next(after: utc("2026-01-01T10:00:00Z"), in: utcZone) == utc("2026-01-01T11:00:00Z"))
        let justBefore = utc("2026-01-01T10:00:00Z").addingTimeInterval(-0.25)
        #expect(cron.next(after: justBefore, in: utcZone) == utc("2026-01-01T10:00:00Z"))
        let justAfter = utc("2026-01-01T10:00:00Z").addingTimeInterval(0.25)
        #expect(cron.next(after: justAfter, in: utcZone) == utc("2026-01-01T11:00:00Z"))
    }

    @Test func dailyRollsOverMonthAndYearEnds() throws {
        let cron = try CronSchedule(parsing: "0 2 * * *")
        #expect(cron.fireTimes(after: "2026-12-31T03:00:00Z", in: utcZone, count: 2)
            == ["2027-01-01T02:00:00Z", "2027-01-02T02:00:00Z"])
    }

    @Test func weekdaysAndMonthNames() throws {
        let cron = try CronSchedule(parsing: "30 8 * jun mon-fri")
        // 2026-05-30 is a Saturday; June 1 2026 is a Monday.
        #expect(cron.fireTimes(after: "2026-05-30T00:00:00Z", in: utcZone, count: 2)
            == ["2026-06-01T08:30:00Z", "2026-06-02T08:30:00Z"])
        #expect(cron.fireTimes(after: "2026-06-30T09:00:00Z", in: utcZone, count: 1) == ["2027-06-01T08:30:00Z"])
    }

    @Test func leapDayWaitsForTheNextLeapYear() throws {
        let cron = try CronSchedule(parsing: "0 0 29 2 *")
        #expect(cron.fireTimes(after: "2025-01-01T00:00:00Z", in: utcZone, count: 2)
            == ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"])
        // 2100 is not a leap year (divisible by 100, not by 400): an eight-year wait.
        #expect(cron.fireTimes(after: "2096-03-01T00:00:00Z", in: utcZone, count: 1) == ["2104-02-29T00:00:00Z"])
    }

    /// Issue 15, item 13: the search looked ten years ahead, so a Sunday February 29 (next in
    /// 2032, then 2060) stopped firing after 2032.
    @Test func aScheduleDecadesApartStillFires() throws {
        let cron = try CronSchedule(parsing: "0 0 29 2 */7")
        #expect(cron.fireTimes(after: "2026-01-01T00:00:00Z", in: utcZone, count: 3)
            == ["2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2088-02-29T00:00:00Z"])
    }

    @Test func secondsField() throws {
        let cron = try CronSchedule(parsing: "*/20 * * * * *")
        #expect(cron.fireTimes(after: "2026-01-01T12:00:05Z", in: utcZone, count: 4)
            == ["2026-01-01T12:00:20Z", "2026-01-01T12:00:40Z", "2026-01-01T12:01:00Z", "2026-01-01T12:01:20Z"])
        let once = try CronSchedule(parsing: "30 0 12 * * *")
        #expect(once.fireTimes(after: "2026-01-01T12:00:30Z", in: utcZone, count: 1) == ["2026-01-02T12:00:30Z"])
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothAreRestricted() throws {
        // The 1st of the month or any Monday. 2026-03-28 is a Saturday.
        let cron = try CronSchedule(parsing: "0 0 1 * mon")
        #expect(cron.fireTimes(after: "2026-03-28T00:00:00Z", in: utcZone, count: 3)
            == ["2026-03-30T00:00:00Z", "2026-04-01T00:00:00Z", "2026-04-06T00:00:00Z"])
    }

    @Test func aStarredDayFieldIsAndedNotOred() throws {
        // `*/2` starts with `*`, so only odd-numbered days that are also Mondays: April 13 2026.
        let cron = try CronSchedule(parsing: "0 0 */2 * mon")
        #expect(cron.fireTimes(after: "2026-03-28T00:00:00Z", in: utcZone, count: 1) == ["2026-04-13T00:00:00Z"])
    }

    @Test func aFixedOffsetZoneShiftsTheWallClock() throws {
        let cron = try CronSchedule(parsing: "0 9 * * *")
        #expect(cron.fireTimes(after: "2026-01-01T00:00:00Z", in: zone("Asia/Tokyo"), count: 1) == ["2026-01-02T00:00:00Z"])
        #expect(cron.fireTimes(after: "2026-01-01T00:00:00Z", in: zone("Asia/Kolkata"), count: 1) == ["2026-01-01T03:30:00Z"])
    }

    @Test func tickIdentityIsTheEpochSecondOfTheDueInstant() throws {
        let cron = try CronSchedule(parsing: "0 2 * * *")
        let tick = try #require(cron.nextTick(after: utc("2026-01-01T00:00:00Z"), in: utcZone))
        #expect(tick.date == utc("2026-01-01T02:00:00Z"))
        #expect(tick.id == 1_767_232_800)
        #expect(tick.idempotencyKey(entry: "nightly") == "nightly:1767232800")
    }

    @Test func ticksListsAWindowOldestFirst() throws {
        let cron = try CronSchedule(parsing: "0 * * * *")
        let ticks = cron.ticks(after: utc("2026-01-01T00:00:00Z"), through: utc("2026-01-01T03:00:00Z"), in: utcZone)
        #expect(ticks.map(\.date) == [utc("2026-01-01T01:00:00Z"), utc("2026-01-01T02:00:00Z"), utc("2026-01-01T03:00:00Z")])
        #expect(cron.ticks(after: utc("2026-01-01T00:00:00Z"), through: utc("2026-01-01T03:00:00Z"), in: utcZone, limit: 1).count == 1)
    }
}
