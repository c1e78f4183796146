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
