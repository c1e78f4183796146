/// The rule that keeps two runs of one job from overlapping across a network partition: a holder
/// that cannot renew its lease has stopped its run `holderMargin` before the lease expires (timed
/// on its monotonic clock from when it sent the call that last set the lease), and a recoverer
/// takes a run only `recoveryGrace` after its lease expired (on its own wall clock, the one the
/// lease's score is compared with). Clocks of two hosts may disagree by up to the sum of the two
/// before a recovery could meet a live run.
public enum LeaseTiming {
    /// How long after a lease's expiry a recoverer waits before it takes the run.
    public static let recoveryGrace: Duration = .seconds(1)

    /// How long before its lease expires a holder that could not renew must have ended its run:
    /// a tenth of the lease, from 200 ms to 5 s (time for the process to end and for the clocks
    /// of the holder and of Redis to drift).
    public static func holderMargin(lease: Duration) -> Duration {
        min(max(lease / 10, .milliseconds(200)), .seconds(5))
    }

    /// How long a recoverer that itself just regained Redis after an outage waits before it
    /// recovers expired leases: the holders it was cut off with reconnect too (after their own
    /// backoff), and their renewals and late finishes must get through first. A full lease
    /// covers any holder's next renewal.
    public static func holdAfterOutage(lease: Duration) -> Duration {
        lease
    }
}
