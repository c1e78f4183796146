import DroverSystem
import Testing

@Suite struct MonotonicClockTests {
    @Test func readingsNeverGoBackwards() {
        var previous = MonotonicClock.now()
        for _ in 0..<1000 {
            let next = MonotonicClock.now()
            #expect(next >= previous)
            previous = next
        }
    }

    @Test func instantsMoveByDurationsAndMeasureThem() {
        let start = MonotonicClock.Instant(nanoseconds: 5_000_000_000)
        let later = start.advanced(by: .milliseconds(1500))
        #expect(later.nanoseconds == 6_500_000_000)
        #expect(start.duration(to: later) == .milliseconds(1500))
        #expect(later.duration(to: start) == .milliseconds(-1500))
        #expect(start.nanoseconds(until: later) == 1_500_000_000)
        #expect(start.advanced(by: .nanoseconds(-1)).nanoseconds == 4_999_999_999)
        #expect(start < later)
        #expect(later.description == "6.500000000s")
    }

    @Test func wallClockIsAfterTheYear2020() {
        #expect(WallClock.nowMilliseconds() > 1_577_836_800_000)
    }
}
