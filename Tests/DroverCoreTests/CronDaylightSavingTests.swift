import Foundation
import Testing
@testable import DroverCore

/// Daylight-saving days (issue 5): a wall time that does not exist fires once at the first
/// instant after the gap; a wall time that occurs twice fires once, at its first occurrence.
///
/// 2026 transitions used here:
/// - Europe/Berlin: Sun Mar 29 at 01:00Z (02:00 CET -> 03:00 CEST); Sun Oct 25 at 01:00Z
///   (03:00 CEST -> 02:00 CET).
/// - America/New_York: Sun Mar 8 at 07:00Z (02:00 EST -> 03:00 EDT); Sun Nov 1 at 06:00Z
///   (02:00 EDT -> 01:00 EST).
@Suite struct CronDaylightSavingTests {
    let berlin = zone("Europe/Berlin")
    let newYork = zone("America/New_York")

    // MARK: - Spring forward

    @Test func berlinDailyInTheGapFiresOnceAtThreeLocal() throws {
        let cron = try CronSchedule(parsing: "30 2 * * *")
        #expect(cron.fireTimes(after: "2026-03-28T12:00:00Z", in: berlin, count: 2)
            == ["2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"])  // 03:00 CEST, then 02:30 CEST
    }

    @Test func berlinHourlyFoldsTheMissingHourIntoThree() throws {
        let cron = try CronSchedule(parsing: "0 * * * *")
        #expect(cron.fireTimes(after: "2026-03-28T23:30:00Z", in: berlin, count: 3)
            == ["2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"])  // 01:00 CET, 03:00, 04:00 CEST
    }

    @Test func berlinQuarterHoursInTheGapFireOnce() throws {
        let cron = try CronSchedule(parsing: "*/15 * * * *")
        #expect(cron.fireTimes(after: "2026-03-29T00:40:00Z", in: berlin, count: 3)
            == ["2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"])  // 01:45 CET, 03:00, 03:15 CEST
    }

    @Test func berlinSpringDayHasNoDuplicateTicks() throws {
        let cron = try CronSchedule(parsing: "*/15 * * * *")
        // Local midnight to local midnight: 96 wall times, of which 02:00, 02:15, 02:30, 02:45
        // do not exist and fold with 03:00 into one tick.
        let ticks = cron.ticks(after: utc("2026-03-28T23:00:00Z"), through: utc("2026-03-29T22:00:00Z"), in: berlin)
        #expect(ticks.count == 92)
        #expect(Set(ticks.map(\.id)).count == ticks.count)
        #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func newYorkDailyInTheGapFiresOnceAtThreeLocal() throws {
        let cron = try CronSchedule(parsing: "30 2 * * *")
        #expect(cron.fireTimes(after: "2026-03-07T12:00:00Z", in: newYork, count: 2)
            == ["2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"])  // 03:00 EDT, then 02:30 EDT
    }

    @Test func newYorkHourlyFoldsTheMissingHourIntoThree() throws {
        let cron = try CronSchedule(parsing: "0 * * * *")
        #expect(cron.fireTimes(after: "2026-03-08T05:30:00Z", in: newYork, count: 3)
            == ["2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"])  // 01:00 EST, 03:00, 04:00 EDT
    }

    @Test func newYorkQuarterHoursInTheGapFireOnce() throws {
        let cron = try CronSchedule(parsing: "*/15 * * * *")
        #expect(cron.fireTimes(after: "2026-03-08T06:40:00Z", in: newYork, count: 3)
            == ["2026-03-08T06:45:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"])
    }

    // MARK: - Fall back

    @Test func berlinDailyInTheRepeatedHourFiresOnceAtTheFirst() throws {
        let cron = try CronSchedule(parsing: "30 2 * * *")
        #expect(cron.fireTimes(after: "2026-10-24T12:00:00Z", in: berlin, count: 2)
            == ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])  // 02:30 CEST (not 02:30 CET), then 02:30 CET
    }

    @Test func berlinHourlySkipsTheRepeatedHour() throws {
        let cron = try CronSchedule(parsing: "0 * * * *")
        #expect(cron.fireTimes(after: "2026-10-24T23:30:00Z", in: berlin, count: 2)
            == ["2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"])  // 02:00 CEST, then 03:00 CET
    }

    @Test func berlinFallBackDayFiresEachWallTimeOnce() throws {
        let cron = try CronSchedule(parsing: "*/15 * * * *")
        // 25 hours of instants, 96 wall times, each once.
        let ticks = cron.ticks(after: utc("2026-10-24T22:00:00Z"), through: utc("2026-10-25T23:00:00Z"), in: berlin)
        #expect(ticks.count == 96)
        #expect(cron.fireTimes(after: "2026-10-25T00:50:00Z", in: berlin, count: 1) == ["2026-10-25T02:00:00Z"])
    }

    @Test func newYorkDailyInTheRepeatedHourFiresOnceAtTheFirst() throws {
        let cron = try CronSchedule(parsing: "30 1 * * *")
        #expect(cron.fireTimes(after: "2026-10-31T12:00:00Z", in: newYork, count: 2)
            == ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"])  // 01:30 EDT, then 01:30 EST
    }

    @Test func newYorkHourlySkipsTheRepeatedHour() throws {
        let cron = try CronSchedule(parsing: "0 * * * *")
        #expect(cron.fireTimes(after: "2026-11-01T04:30:00Z", in: newYork, count: 2)
            == ["2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"])  // 01:00 EDT, then 02:00 EST
    }

    @Test func newYorkQuarterHoursInTheRepeatedHourFireOnce() throws {
        let cron = try CronSchedule(parsing: "*/15 * * * *")
        #expect(cron.fireTimes(after: "2026-11-01T05:40:00Z", in: newYork, count: 3)
            == ["2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:15:00Z"])
    }

    @Test func midnightOutsideTransitionsIsUnaffected() throws {
        let cron = try CronSchedule(parsing: "0 0 * * *")
        #expect(cron.fireTimes(after: "2026-03-28T12:00:00Z", in: berlin, count: 2)
            == ["2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"])  // 00:00 CET, then 00:00 CEST
    }

    @Test func everySecondAcrossTheGapStaysFast() throws {
        let cron = try CronSchedule(parsing: "* * * * * *")
        #expect(cron.fireTimes(after: "2026-03-29T00:59:59Z", in: berlin, count: 2)
            == ["2026-03-29T01:00:00Z", "2026-03-29T01:00:01Z"])
        // Just after the repeated hour begins: nothing until the wall clock passes 03:00 CET.
        #expect(cron.fireTimes(after: "2026-10-25T01:00:00Z", in: berlin, count: 1) == ["2026-10-25T02:00:00Z"])
    }
}
