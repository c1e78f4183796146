import DroverSupervisor
import DroverSystem
import Testing

@Suite struct LimitClockTests {
    let start = MonotonicClock.Instant(nanoseconds: 1_000_000_000_000)
    func at(_ milliseconds: Int64) -> MonotonicClock.Instant { start.advanced(by: .milliseconds(milliseconds)) }

    @Test func noLimitsNeverActs() {
        let clock = LimitClock(started: start, softMilliseconds: nil, hardMilliseconds: nil)
        #expect(clock.action(now: at(1_000_000)) == .none)
        #expect(clock.nextDeadline == nil)
    }

    @Test func softThenHard() {
        var clock = LimitClock(started: start, softMilliseconds: 1000, hardMilliseconds: 2000)
        #expect(clock.action(now: at(999)) == .none)
        #expect(clock.nextDeadline == at(1000))
        #expect(clock.action(now: at(1000)) == .soft)
        clock.markSoftSent()
        #expect(clock.action(now: at(1500)) == .none)
        #expect(clock.nextDeadline == at(2000))
        #expect(clock.action(now: at(2000)) == .hard)
    }

    @Test func hardWinsWhenBothArePast() {
        let clock = LimitClock(started: start, softMilliseconds: 1000, hardMilliseconds: 2000)
        #expect(clock.action(now: at(5000)) == .hard)
    }

    @Test func hardOnly() {
        let clock = LimitClock(started: start, softMilliseconds: nil, hardMilliseconds: 1000)
        #expect(clock.action(now: at(999)) == .none)
        #expect(clock.action(now: at(1000)) == .hard)
    }

    /// A suspend is invisible to CLOCK_MONOTONIC: the host slept 10 minutes with the job 100 ms
    /// from its limit, and the monotonic time read after the resume is still 100 ms short.
    @Test func aSuspendDoesNotFireTheLimit() {
        let clock = LimitClock(started: start, softMilliseconds: nil, hardMilliseconds: 1000)
        let afterResume = at(900) // monotonic: the 10 minutes asleep are not counted
        #expect(clock.action(now: afterResume) == .none)
    }
}

/// Limits too long for the monotonic clock's nanoseconds (issue 15, item 1: a time limit of
/// 115741 days wrapped into the past, and the master killed the job at once, then trapped).
@Suite struct LimitClockRangeTests {
    let start = MonotonicClock.Instant(nanoseconds: 1_000_000_000_000)

    @Test func aLimitPastTheClocksRangeNeverFiresAndNeverWraps() {
        for hard in [Int64(10_000_000_000_000), Int64.max / 1000, Int64.max] {
            let clock = LimitClock(started: start, softMilliseconds: hard, hardMilliseconds: hard)
            #expect(clock.action(now: start.advanced(by: .seconds(86_400 * 365))) == .none, "\(hard)")
            let deadline = try? #require(clock.hardDeadline)
            #expect(deadline.map { $0 > start } == true, "\(hard)")
        }
    }

    @Test func advancingSaturatesAtTheClocksEnds() {
        #expect(start.advanced(by: .seconds(Int64.max)).nanoseconds == .max)
        #expect(start.advanced(by: .seconds(Int64.min)).nanoseconds == .min + start.nanoseconds)
        #expect(MonotonicClock.Instant(nanoseconds: -5).advanced(by: .seconds(Int64.min)).nanoseconds == .min)
        #expect(start.advanced(by: .milliseconds(Int64.max)).nanoseconds == .max)
    }
}
