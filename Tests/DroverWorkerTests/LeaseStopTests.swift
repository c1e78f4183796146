@testable import DroverWorker
import DroverQueue
import Testing

/// When a run whose lease was not renewed is cancelled and its process ended (issue 15, item 14):
/// always before the lease can expire, timed from when the call that last set it was sent.
@Suite struct LeaseStopTests {
    let start = ContinuousClock.now

    @Test func aRunStopsBeforeItsLeaseCanExpireByTheHoldersMargin() {
        for seconds in [1, 3, 30, 600] {
            let lease = Duration.seconds(seconds)
            let stop = LeaseStop(leaseSetAt: start, lease: lease, cancelGrace: .seconds(5))
            let margin = LeaseTiming.holderMargin(lease: lease)
            #expect(stop.endAt == start + lease - margin)
            #expect(margin >= .milliseconds(200) && margin <= .seconds(5))
            // Cancelled first, with two renewals (every third of the lease) before the cancel.
            #expect(stop.cancelAt < stop.endAt)
            #expect(stop.cancelAt - start > lease / 2)
            #expect(stop.action(now: start, cancelledAt: nil) == .wait(until: stop.cancelAt))
            #expect(stop.action(now: stop.cancelAt, cancelledAt: nil) == .cancel)
            #expect(stop.action(now: stop.cancelAt, cancelledAt: stop.cancelAt) == .wait(until: stop.endAt))
            #expect(stop.action(now: stop.endAt, cancelledAt: stop.cancelAt) == .end)
        }
        // The default lease: a cancel's usual grace before the end.
        let usual = LeaseStop(leaseSetAt: start, lease: .seconds(30), cancelGrace: .seconds(5))
        #expect(usual.endAt == start + .seconds(27) && usual.cancelAt == start + .seconds(22))
    }

    /// Measured from the call that set the lease (sent before the keeper knew of the run), so a
    /// renewal that succeeded moves both instants, one that failed moves nothing.
    @Test func theDeadlinesFollowTheLastCallThatSetTheLease() {
        let first = LeaseStop(leaseSetAt: start, lease: .seconds(3), cancelGrace: .seconds(5))
        let renewed = LeaseStop(leaseSetAt: start + .seconds(1), lease: .seconds(3), cancelGrace: .seconds(5))
        #expect(renewed.endAt == first.endAt + .seconds(1) && renewed.cancelAt == first.cancelAt + .seconds(1))
        #expect(first.endAt == start + .milliseconds(2700) && first.cancelAt == start + .milliseconds(1800))
    }

    /// A keeper that wakes past both instants (its process was frozen) cancels, and ends the
    /// process half a stop window later: it could not have stopped the run in time.
    @Test func aKeeperWakingPastBothInstantsCancelsFirst() {
        let stop = LeaseStop(leaseSetAt: start, lease: .seconds(3), cancelGrace: .seconds(5))
        let thawed = start + .seconds(10)
        #expect(stop.action(now: thawed, cancelledAt: nil) == .cancel)
        let half = (stop.endAt - stop.cancelAt) / 2
        #expect(stop.action(now: thawed, cancelledAt: thawed) == .wait(until: thawed + half))
        #expect(stop.action(now: thawed + half, cancelledAt: thawed) == .end)
    }
}
