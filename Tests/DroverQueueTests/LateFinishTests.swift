@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Testing

/// A partition that outlasts a run's lease (issue 15, item 15): the run is recovered before its
/// finish gets through. The finish is still taken while no other run of the job has started;
/// after one has, it is discarded, and the worker learns whether it was a lost reply or a
/// takeover. Short leases against a real redis-server, through the worker's own calls.
@Suite struct LateFinishTests {
    let spec = FetchSpec(queues: ["default"], worker: "host-a:1", leaseMilliseconds: 200)

    /// `--max-attempts 1`: recovered as failed (LeaseExpired), then its success gets through.
    @Test func aSuccessAfterRecoveryIsTakenWhileNoOtherRunStarted() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("one-shot") { $0.maxAttempts = 1 }
        let t = QueueHarness.now
        let run = try #require(try h.store.fetch(spec, now: t))
        // Within the grace past its expiry the run is not taken: its holder may still be
        // stopping it.
        #expect(try h.store.recoverExpired(now: t + 200 + LeaseTiming.recoveryGrace.milliseconds - 1).isEmpty)
        #expect(try h.store.recoverExpired(now: t + 200 + LeaseTiming.recoveryGrace.milliseconds + 1) == [id])
        #expect(try h.job(id).state == .failed)
        #expect(try h.job(id).error?.type == "LeaseExpired")

        let late = try h.store.finish(run, .finished(resultJSON: #"{"sum":3}"#), next: nil, now: t + 3_000)
        #expect(late.written && late.discarded == nil)
        let job = try h.job(id)
        #expect(job.state == .finished)
        #expect(job.resultJSON == #"{"sum":3}"#)
        #expect(job.error == nil)
        #expect(job.endedAt == t + 3_000)
        #expect(try h.registriesHolding(id) == ["finished:default"])
        #expect(try h.stat("default", "failed") == 0)
        #expect(try h.stat("default", "lost") == 0)
        #expect(try h.stat("default", "finished") == 1)

        // Its retry (the reply was lost) finds its own outcome: a lost reply, not a takeover.
        let again = try h.store.finish(run, .finished(resultJSON: "0"), next: nil, now: t + 3_100)
        #expect(!again.written && again.discarded == .alreadyWritten)
        #expect(try h.job(id).resultJSON == #"{"sum":3}"#)
    }

    /// Review finding: a run stopped because its lease was lost says `failed(LeaseLost)` when
    /// its handler's policy has no attempts left; that is no outcome of its own work, so the
    /// recovery's requeue stands.
    @Test func aLeaseLostFailureDoesNotOverrideTheRecovery() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("stopped") { $0.maxAttempts = 3 }
        let t = QueueHarness.now
        let run = try #require(try h.store.fetch(spec, now: t))
        #expect(try h.store.recoverExpired(now: t + 5_000) == [id])
        let stopped = JobError(type: "LeaseLost", message: "the job's lease could not be renewed")
        let late = try h.store.finish(run, .failed(stopped), next: nil, now: t + 6_000)
        #expect(!late.written)
        #expect(try h.job(id).state == .queued)
        #expect(try h.queued("default") == [id])
    }

    /// Recovered back to its queue (attempts remain) and not fetched again: the late outcome
    /// takes it out of the queue, so it does not run twice.
    @Test func aLateOutcomeTakesTheRecoveredJobBackOutOfItsQueue() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("retried") { $0.maxAttempts = 3 }
        let t = QueueHarness.now
        let run = try #require(try h.store.fetch(spec, now: t))
        #expect(try h.store.recoverExpired(now: t + 5_000) == [id])
        #expect(try h.job(id).state == .queued)
        let failure = JobError(type: "ValueError", message: "bad input", permanent: true)
        let late = try h.store.finish(run, .failed(failure), next: nil, now: t + 6_000)
        #expect(late.written)
        let job = try h.job(id)
        #expect(job.state == .failed && job.error?.type == "ValueError" && job.attempt == 1)
        #expect(try h.queued("default").isEmpty)
        #expect(try h.store.fetch(spec, now: t + 6_001) == nil)
    }

    /// Once another run has started, the late finish is fenced off as before, and says so.
    @Test func aLateFinishAfterAnotherRunStartedIsATakeover() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("contended")
        let t = QueueHarness.now
        let run = try #require(try h.store.fetch(spec, now: t))
        #expect(try h.store.recoverExpired(now: t + 5_000) == [id])
        let other = FetchSpec(queues: ["default"], worker: "host-b:2", leaseMilliseconds: 30_000)
        let rerun = try #require(try h.store.fetch(other, now: t + 5_001))
        #expect(rerun.lease == 2)
        let late = try h.store.finish(run, .finished(resultJSON: "1"), next: nil, now: t + 6_000)
        #expect(!late.written && late.discarded == .takenOver)
        let job = try h.job(id)
        #expect(job.state == .started && job.worker == "host-b:2")
        #expect(try h.store.finish(rerun, .finished(resultJSON: "2"), next: nil, now: t + 6_001).written)
        #expect(try h.job(id).resultJSON == "2")
    }

    /// A run stopped because its lease could not be renewed asks for a retry: that is no outcome
    /// of its own work, and the recovery's decision stands.
    @Test func anInterruptedRunsRetryLeavesTheRecoveryInPlace() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("interrupted") { $0.maxAttempts = 3 }
        let t = QueueHarness.now
        let run = try #require(try h.store.fetch(spec, now: t))
        #expect(try h.store.recoverExpired(now: t + 5_000) == [id])
        let lost = JobError(type: "LeaseLost", message: "stopped")
        let late = try h.store.finish(run, .retry(lost, retryAt: t + 20_000), next: nil, now: t + 6_000)
        #expect(!late.written && late.discarded == .takenOver)
        #expect(try h.job(id).state == .queued)
        #expect(try h.queued("default") == [id])
    }
}
