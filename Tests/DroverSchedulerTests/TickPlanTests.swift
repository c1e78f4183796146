import DroverCore
import DroverScheduler
import Foundation
import Testing

/// The catch-up rule and the daylight-saving rules as the scheduler applies them: pure
/// functions fed fixed instants (no waiting for wall time).
@Suite struct TickPlanTests {
    private func entry(_ cron: String, zone: String = "UTC") throws -> PeriodicEntry {
        PeriodicEntry(name: "e", schedule: try CronSchedule(parsing: cron), timeZone: try #require(TimeZone(identifier: zone)),
                      job: "builtin.noop")
    }

    private func utc(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return try #require(formatter.date(from: text))
    }

    private func texts(_ ticks: [CronTick]) -> [String] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return ticks.map { formatter.string(from: $0.date) }
    }

    @Test func aTickThatCameDueFiresOnceAndTheNextIsPlanned() throws {
        let plan = TickPlan.plan(try entry("*/5 * * * *"), after: try utc("2026-01-01T10:00:00Z"),
                                 now: try utc("2026-01-01T10:05:00Z").addingTimeInterval(0.003), catchUp: .zero)
        #expect(texts(plan.fire) == ["2026-01-01T10:05:00Z"])
        #expect(plan.skipped.isEmpty)
        #expect(plan.next.map { texts([$0]) } == ["2026-01-01T10:10:00Z"])
    }

    @Test func missedTicksYoungerThanTheWindowFireOnceEachAndOlderOnesAreSkipped() throws {
        // Down from 10:00 to 10:07:30 with a 5-minute window: 10:01 and 10:02 are too old.
        let plan = TickPlan.plan(try entry("* * * * *"), after: try utc("2026-01-01T10:00:00Z"),
                                 now: try utc("2026-01-01T10:07:30Z"), catchUp: .minutes(5))
        #expect(texts(plan.skipped) == ["2026-01-01T10:01:00Z", "2026-01-01T10:02:00Z"])
        #expect(texts(plan.fire) == ["2026-01-01T10:03:00Z", "2026-01-01T10:04:00Z", "2026-01-01T10:05:00Z",
                                     "2026-01-01T10:06:00Z", "2026-01-01T10:07:00Z"])
        #expect(!plan.skippedMore)
    }

    @Test func aZeroWindowStillFiresATickReachedOnTime() throws {
        let plan = TickPlan.plan(try entry("0 2 * * *"), after: try utc("2026-01-01T00:00:00Z"),
                                 now: try utc("2026-01-02T02:00:00Z").addingTimeInterval(0.4), catchUp: .zero)
        #expect(texts(plan.skipped) == ["2026-01-01T02:00:00Z"])
        #expect(texts(plan.fire) == ["2026-01-02T02:00:00Z"])
    }

    @Test func aLongOutageOfAnEverySecondEntryIsCountedNotListedWhole() throws {
        let plan = TickPlan.plan(try entry("* * * * * *"), after: try utc("2026-01-01T00:00:00Z"),
                                 now: try utc("2026-01-02T00:00:00Z"), catchUp: .seconds(3))
        #expect(plan.skippedMore)
        #expect(plan.skipped.count == TickPlan.countLimit)
        #expect(texts(plan.fire) == ["2026-01-01T23:59:58Z", "2026-01-01T23:59:59Z", "2026-01-02T00:00:00Z"])
    }

    @Test func ticksAtOrBeforeTheCursorAreNeverPlannedAgain() throws {
        let at = try utc("2026-01-01T10:05:00Z")
        let plan = TickPlan.plan(try entry("*/5 * * * *"), after: at, now: at.addingTimeInterval(1), catchUp: .minutes(5))
        #expect(plan.fire.isEmpty && plan.skipped.isEmpty)
    }

    // MARK: - Daylight saving, through the plan

    /// Every tick of a day, as a scheduler that ran all day would fire them.
    private func day(_ cron: String, zone: String, from: String, to: String) throws -> [String] {
        let plan = TickPlan.plan(try entry(cron, zone: zone), after: try utc(from), now: try utc(to), catchUp: .hours(48))
        #expect(plan.skipped.isEmpty)
        return texts(plan.fire)
    }

    @Test func berlinSpringForwardFiresTheMissingHalfPastTwoOnceAtThree() throws {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z).
        #expect(try day("30 2 * * *", zone: "Europe/Berlin", from: "2026-03-28T12:00:00Z", to: "2026-03-29T12:00:00Z")
                == ["2026-03-29T01:00:00Z"])
        // 02:00 and 02:30 fold into 03:00, which is a tick of its own too: one tick for the three.
        #expect(try day("0,30 2,3 * * *", zone: "Europe/Berlin", from: "2026-03-28T12:00:00Z", to: "2026-03-29T12:00:00Z")
                == ["2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"])
    }

    @Test func berlinFallBackFiresTheRepeatedHalfPastTwoOnce() throws {
        // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
        #expect(try day("30 2 * * *", zone: "Europe/Berlin", from: "2026-10-24T12:00:00Z", to: "2026-10-25T12:00:00Z")
                == ["2026-10-25T00:30:00Z"])
    }

    @Test func newYorkSpringForwardAndFallBackFireOncePerDay() throws {
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z). 2026-11-01: 02:00 EDT back to 01:00 EST.
        #expect(try day("30 2 * * *", zone: "America/New_York", from: "2026-03-07T12:00:00Z", to: "2026-03-08T23:00:00Z")
                == ["2026-03-08T07:00:00Z"])
        #expect(try day("30 1 * * *", zone: "America/New_York", from: "2026-10-31T12:00:00Z", to: "2026-11-01T23:00:00Z")
                == ["2026-11-01T05:30:00Z"])
        // Hourly across the fall-back night: 24 wall hours, 24 ticks, none twice.
        let hourly = try day("0 * * * *", zone: "America/New_York", from: "2026-11-01T04:00:00Z", to: "2026-11-02T05:00:00Z")
        #expect(hourly.count == 24)
        #expect(Set(hourly).count == hourly.count)
    }

    @Test func aLeapDayEntryFiresOnFebruaryTwentyNinthOnly() throws {
        let leap = try entry("0 12 29 2 *", zone: "America/New_York")
        let plan = TickPlan.plan(leap, after: try utc("2028-03-01T00:00:00Z"), now: try utc("2029-01-01T00:00:00Z"),
                                 catchUp: .hours(24 * 800))
        #expect(plan.fire.isEmpty)
        #expect(plan.next.map { texts([$0]) } == ["2032-02-29T17:00:00Z"])
        let in2028 = TickPlan.plan(leap, after: try utc("2028-02-28T00:00:00Z"), now: try utc("2028-03-01T00:00:00Z"),
                                   catchUp: .hours(48))
        #expect(texts(in2028.fire) == ["2028-02-29T17:00:00Z"])
    }

    @Test func periodicJobIDsAreTheSameForEverySchedulerAndCarryTheirTick() throws {
        let tick = CronTick(date: try utc("2026-01-01T02:00:00Z"))
        let one = JobID.periodic(entry: "nightly", tick: tick)
        #expect(one == JobID.periodic(entry: "nightly", tick: tick))
        #expect(one != JobID.periodic(entry: "hourly", tick: tick))
        #expect(one.periodicTick == tick.id)
        #expect(one.rawValue.count == 26)
    }
}
