@testable import DroverWorker
import DroverCore
import DroverQueue
import DroverTestSupport
import Testing

/// The keeper's stop reasons, fed directly (its Redis calls only come when a job outlives the
/// renew interval, a minute here).
@Suite struct LeaseKeeperTests {
    @Test func aSoftLimitSignalCancelsOnlyARunThatReachedItsLimit() throws {
        let server = try RedisServer()
        let keeper = LeaseKeeper(store: JobStore(client: server.client()), leaseMilliseconds: 30_000,
                                 renewInterval: .seconds(60), cancelGrace: .seconds(60))
        defer { keeper.shutdown() }
        let job = FetchedJob(id: JobID("J"), queue: "default", lease: 1, attempt: 1, document: "{}", maxAttempts: 1)
        // The master's USR1 for the job before, arriving as this one starts: 30 s from its limit.
        keeper.begin(job, softLimit: .seconds(30), enforcing: false)
        keeper.cancel(.softTimeLimit)
        #expect(keeper.end() == nil)
        // A run with no soft limit cannot have reached one.
        keeper.begin(job, softLimit: nil, enforcing: false)
        keeper.cancel(.softTimeLimit)
        #expect(keeper.end() == nil)
        // Within the 100 ms of slack (the master times from the start line, sent just before).
        keeper.begin(job, softLimit: .milliseconds(100), enforcing: false)
        keeper.cancel(.softTimeLimit)
        #expect(keeper.end() == .softTimeLimit)
        // Other reasons are never held back.
        keeper.begin(job, softLimit: .seconds(30), enforcing: false)
        keeper.cancel(.cancelRequested)
        #expect(keeper.end() == .cancelRequested)
    }
}
