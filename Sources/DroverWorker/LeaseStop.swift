import DroverQueue

/// When a run whose lease could not be renewed must stop, so that it never runs beside a run
/// that recovered it (see `LeaseTiming`): a pure function of the instant its holder sent the call
/// that last set the lease (the fetch, or the last renewal that succeeded), on the monotonic
/// clock. The run is cancelled first (its handler stops cooperatively, an exec program gets TERM
/// then KILL), and at `endAt` its process ends, as at a hard time limit: `endAt` is
/// `LeaseTiming.holderMargin` before the lease expires, and recovery waits
/// `LeaseTiming.recoveryGrace` past the expiry.
struct LeaseStop: Equatable {
    /// From here the run is cancelled.
    var cancelAt: ContinuousClock.Instant
    /// From here the process ends.
    var endAt: ContinuousClock.Instant

    /// What the keeper does now.
    enum Action: Equatable {
        /// Nothing until this instant.
        case wait(until: ContinuousClock.Instant)
        /// Cancel the run.
        case cancel
        /// End the process.
        case end
    }

    /// - Parameters:
    ///   - leaseSetAt: when the call that last set the lease was sent.
    ///   - lease: the lease's length.
    ///   - cancelGrace: how long a cancelled run is given to stop (less when the lease is short:
    ///     at most a third of the lease less its margin, so that a renewal every third of a lease
    ///     has two chances to succeed before the cancel).
    init(leaseSetAt: ContinuousClock.Instant, lease: Duration, cancelGrace: Duration) {
        let usable = lease - LeaseTiming.holderMargin(lease: lease)
        endAt = leaseSetAt + usable
        cancelAt = endAt - min(cancelGrace, usable / 3)
    }

    /// - Parameters:
    ///   - now: the monotonic clock.
    ///   - cancelledAt: when this keeper cancelled the run for its lease, if it did.
    ///
    /// A keeper that wakes up past both instants at once (its process was frozen: SIGSTOP, a
    /// suspended machine) could not have stopped the run in time whatever it does now; it
    /// cancels, and the run gets half its stop window before the process ends.
    func action(now: ContinuousClock.Instant, cancelledAt: ContinuousClock.Instant?) -> Action {
        guard let cancelledAt else {
            return now >= cancelAt ? .cancel : .wait(until: cancelAt)
        }
        let end = max(endAt, cancelledAt + (endAt - cancelAt) / 2)
        return now >= end ? .end : .wait(until: end)
    }
}
