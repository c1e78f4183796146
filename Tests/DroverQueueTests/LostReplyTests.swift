@testable import DroverQueue
import DroverCore
import DroverTestSupport
import Testing

/// A worker's call whose reply is lost (a timeout, a dropped connection) may have run in Redis
/// all the same, and taken the next job for a worker that never saw it. Its retry names the
/// lost call by the clock it sent and gets that run back, so the job neither waits out its
/// lease nor counts an attempt it never ran. Here a lost reply is a call whose reply the test
/// drops; the process test `WorkerFailureTests.connectionsKilledMidCallStrandNoJob` loses real
/// ones.
@Suite struct LostReplyTests {
    let spec = FetchSpec(queues: ["default"], worker: "host-a:100")

    /// A running job `x`, and the job `y` a finish-and-fetch takes next: a first run (its fast
    /// home) or a second run (its hash home, after a recovery).
    private func runningAndNext(_ h: QueueHarness, nextIsARetry: Bool) throws -> (x: FetchedJob, y: JobID) {
        let y = try h.enqueue("next")
        if nextIsARetry {
            let first = try #require(try h.store.fetch(FetchSpec(queues: ["default"], worker: "host-b:1")))
            #expect(try h.store.recover(first.id, lease: first.lease, error: JobError(type: "Crash", message: "gone")) == .queued)
        }
        let x = try h.enqueue("running") { $0.priority = 5 }
        let fetched = try #require(try h.store.fetch(spec))
        #expect(fetched.id == x)
        return (fetched, y)
    }

    @Test(arguments: [false, true])
    func aRetriedFinishGetsBackTheJobItsLostCallTook(nextIsARetry: Bool) throws {
        let h = try QueueHarness()
        let (x, y) = try runningAndNext(h, nextIsARetry: nextIsARetry)
        let untouched = try h.enqueue("untouched")
        let t = Timestamp.nowMilliseconds()
        // The lost call: it ran, but its reply never came.
        let taken = try #require(try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t).next)
        #expect(taken.id == y)

        let retry = try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t + 700, lostCalls: [t - 300, t])
        #expect(retry.written == false)
        let adopted = try #require(retry.next)
        #expect(adopted.id == y)
        #expect(adopted.lease == taken.lease && adopted.attempt == taken.attempt)
        #expect(adopted.attempt == (nextIsARetry ? 2 : 1))
        #expect(adopted.runRecord == taken.runRecord)
        #expect(adopted.document == taken.document)
        #expect(adopted.maxAttempts == taken.maxAttempts)
        // The retry took no second job, and the run it handed back is the one Redis holds.
        #expect(try h.queued("default") == [untouched])
        #expect(try h.members(h.keys.started("default")) == [y.rawValue])
        #expect(try h.store.finish(adopted, .finished(resultJSON: "2"), next: nil).written)
        let job = try h.job(y)
        #expect(job.state == .finished)
        #expect(job.attempt == (nextIsARetry ? 2 : 1))
        #expect(try h.job(x.id).resultJSON == "1")
    }

    @Test func aRetriedFetchGetsBackTheJobItsLostCallTook() throws {
        let h = try QueueHarness()
        let y = try h.enqueue("next")
        let untouched = try h.enqueue("untouched")
        let t = Timestamp.nowMilliseconds()
        let taken = try #require(try h.store.fetch(spec, now: t))
        #expect(taken.id == y)

        let adopted = try #require(try h.store.fetch(spec, now: t + 500, lostCalls: [t]))
        #expect(adopted.id == y && adopted.lease == taken.lease && adopted.runRecord == taken.runRecord)
        #expect(try h.queued("default") == [untouched])
        #expect(try h.store.finish(adopted, .finished(resultJSON: "null"), next: nil).written)
        #expect(try h.job(y).attempt == 1)
    }

    @Test func aRunMovedToItsHashHomeMeanwhileIsStillHandedBack() throws {
        // Progress (here written by another party) moves a first run into its hash home; the
        // retry still finds it there.
        let h = try QueueHarness()
        let y = try h.enqueue("next")
        let t = Timestamp.nowMilliseconds()
        let taken = try #require(try h.store.fetch(spec, now: t))
        try h.store.progress(y, lease: taken.lease, percent: 10, noteJSON: "")
        #expect(try h.pttl(y) != -2)
        let adopted = try #require(try h.store.fetch(spec, now: t + 500, lostCalls: [t]))
        #expect(adopted.id == y && adopted.lease == taken.lease && adopted.attempt == 1)
        #expect(try h.store.finish(adopted, .finished(resultJSON: "3"), next: nil).written)
        #expect(try h.job(y).state == .finished)
    }

    @Test func aRunCanceledBeforeItRanEndsCanceledAndTheRetryTakesTheNext() throws {
        let h = try QueueHarness()
        let y = try h.enqueue("next")
        let z = try h.enqueue("after")
        let t = Timestamp.nowMilliseconds()
        #expect(try h.store.fetch(spec, now: t)?.id == y)
        #expect(try h.store.cancel(y) == .requested)
        #expect(try h.store.fetch(spec, now: t + 500, lostCalls: [t])?.id == z)
        let canceled = try h.job(y)
        #expect(canceled.state == .canceled)
        #expect(canceled.error?.message == "canceled before it started")
    }

    @Test func aRetryOfACallThatNeverRanWritesTheOutcomeAndFetches() throws {
        let h = try QueueHarness()
        let (x, y) = try runningAndNext(h, nextIsARetry: false)
        let t = Timestamp.nowMilliseconds()
        let retry = try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t, lostCalls: [t - 400])
        #expect(retry.written)
        #expect(retry.next?.id == y)
        #expect(try h.job(x.id).state == .finished)
        #expect(try h.job(y).startedAt == t)
    }

    @Test func aLostCallDeliveredAfterItsRetryTakesNoJob() throws {
        let h = try QueueHarness()
        let (x, y) = try runningAndNext(h, nextIsARetry: false)
        let other = try h.enqueue("other")
        let t = Timestamp.nowMilliseconds()
        // The retry runs first (the lost call was still on its way), then the lost call arrives.
        let retry = try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t + 600, lostCalls: [t])
        #expect(retry.written && retry.next?.id == y)
        let late = try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t)
        #expect(late.written == false)
        #expect(late.next == nil)
        #expect(try h.queued("default") == [other])
    }

    @Test func aRetryDeliveredAfterALaterRetryTakesNoJob() throws {
        let h = try QueueHarness()
        let (x, y) = try runningAndNext(h, nextIsARetry: false)
        let other = try h.enqueue("other")
        let t = Timestamp.nowMilliseconds()
        _ = try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t)  // lost, took y
        // The second try (t + 300) is delayed; the third, naming both, runs first.
        let third = try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t + 600, lostCalls: [t, t + 300])
        #expect(third.next?.id == y)
        let second = try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t + 300, lostCalls: [t])
        #expect(second.written == false && second.next == nil)
        #expect(try h.queued("default") == [other])
    }

    @Test func aLostFetchDeliveredAfterItsRetryTakesNoJob() throws {
        let h = try QueueHarness()
        let y = try h.enqueue("next")
        let other = try h.enqueue("other")
        let t = Timestamp.nowMilliseconds()
        // The retry runs first and takes y afresh (the lost call had not run yet) ...
        #expect(try h.store.fetch(spec, now: t + 400, lostCalls: [t])?.id == y)
        // ... then the lost call arrives: it takes nothing.
        #expect(try h.store.fetch(spec, now: t) == nil)
        #expect(try h.queued("default") == [other])
    }

    @Test func anAdoptedRunGetsAFreshLeaseAndCanBeAdoptedAgain() throws {
        let h = try QueueHarness()
        let y = try h.enqueue("next")
        let short = FetchSpec(queues: ["default"], worker: "host-a:100", leaseMilliseconds: 1000)
        let t = Timestamp.nowMilliseconds()
        // Taken 5 s ago under a 1 s lease that no one has recovered yet: still this worker's.
        let taken = try #require(try h.store.fetch(short, now: t - 5000))
        let adopted = try #require(try h.store.fetch(short, now: t, lostCalls: [t - 5000]))
        #expect(adopted.id == y && adopted.runRecord == taken.runRecord)
        #expect(try h.score(h.keys.started("default"), y) == Double(t + 1000))
        #expect(try h.store.recoverExpired().isEmpty)
        // That reply was lost too: the next retry names both calls and still finds the run.
        let again = try #require(try h.store.fetch(short, now: t + 200, lostCalls: [t - 5000, t]))
        #expect(again.id == y && again.lease == taken.lease)
        #expect(try h.score(h.keys.started("default"), y) == Double(t + 1200))
    }

    @Test func aRunAtTheSameScoreButAnotherStartIsNotHandedBack() throws {
        let h = try QueueHarness()
        let y = try h.enqueue("next")
        let z = try h.enqueue("after")
        let t = Timestamp.nowMilliseconds()
        // Started at t - 1000 under a 31 s lease: scored t + 30 s, as a call at t would be.
        let longer = FetchSpec(queues: ["default"], worker: "host-a:100", leaseMilliseconds: 31_000)
        #expect(try h.store.fetch(longer, now: t - 1000)?.id == y)
        #expect(try h.store.fetch(spec, now: t + 100, lostCalls: [t])?.id == z)
    }

    @Test func aSupervisorGetsBackTheJobADeadChildsFetchTook() throws {
        let h = try QueueHarness()
        let (x, y) = try runningAndNext(h, nextIsARetry: true)
        let other = try h.enqueue("other")
        let t = Timestamp.nowMilliseconds()
        // The child's finish took y; the child was killed before it said so.
        #expect(try h.store.finish(x, .finished(resultJSON: "1"), next: spec, now: t).next?.id == y)
        #expect(try h.store.releaseLostFetch(spec, lostCalls: [t]) == y)
        #expect(try h.queued("default") == [y, other])
        let job = try h.job(y)
        #expect(job.state == .queued && job.attempt == 1)
        #expect(try h.card(h.keys.started("default")) == 0)
        // Nothing left to get back: it takes nothing new either.
        #expect(try h.store.releaseLostFetch(spec, lostCalls: [t]) == nil)
        #expect(try h.queued("default") == [y, other])
    }

    @Test func aRetryTakesNoRunOfAnotherWorkerOrOfAnotherCall() throws {
        let h = try QueueHarness()
        let y = try h.enqueue("next")
        let z = try h.enqueue("after")
        let t = Timestamp.nowMilliseconds()
        let mine = try #require(try h.store.fetch(spec, now: t))
        #expect(mine.id == y)
        // Another worker, naming the same clock: a fresh job, not this worker's run.
        let others = try #require(try h.store.fetch(FetchSpec(queues: ["default"], worker: "host-b:200"), now: t + 10, lostCalls: [t]))
        #expect(others.id == z)
        // This worker, naming a call that took nothing: nothing to hand back, and the queue is empty.
        #expect(try h.store.fetch(spec, now: t + 20, lostCalls: [t + 1]) == nil)
        #expect(Set(try h.members(h.keys.started("default"))) == [y.rawValue, z.rawValue])
    }
}
