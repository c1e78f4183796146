import DroverCore
@testable import DroverQueue
import DroverTestSupport
import Testing

/// `release`: a job fetched but never started goes back to the front of its queue, no attempt
/// counted, from either home; a stale holder changes nothing.
@Suite struct ReleaseTests {
    @Test(arguments: [false, true])
    func aReleasedJobIsTakenAgainAsIfNeverFetched(secondRun: Bool) throws {
        let h = try QueueHarness()
        let id = try h.enqueue("first")
        let other = try h.enqueue("second")
        let t = QueueHarness.now
        var attempt = 1
        if secondRun {
            let run = try #require(try h.fetch(now: t, worker: "w:1"))
            #expect(try h.recover(id, lease: run.lease, now: t + 1) == "queued")
            attempt = 2
        }
        let taken = try #require(try h.fetch(now: t + 2, worker: "w:2"))
        #expect(taken.id == id && taken.attempt == attempt)
        var job = FetchedJob(id: id, queue: "default", lease: taken.lease, attempt: taken.attempt, document: taken.doc,
                             maxAttempts: taken.maxAttempts)
        // A holder that names another run (a stale one) changes nothing.
        job.runRecord = "1 default 500000 0 1 someone-else:9"
        #expect(try h.store.release(job) == false)
        #expect(try h.job(id).state == .started)
        job.runRecord = h.heldRun(id, lease: taken.lease, worker: "w:2")
        #expect(try h.store.release(job) == true)
        #expect(try h.job(id).state == .queued)
        #expect(try h.score(h.keys.started("default"), id) == nil)
        // At the front, and the same attempt again.
        let again = try #require(try h.fetch(now: t + 3, worker: "w:3"))
        #expect(again.id == id && again.attempt == attempt)
        #expect(try h.fetch(now: t + 4, worker: "w:3")?.id == other)
    }
}

/// A job given back with a cancel asked for while it waited ends canceled, not queued again.
@Suite struct ReleaseOfACanceledJobTests {
    @Test func aReleasedJobWhoseCancelWasAskedForEndsCanceled() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("asked-off")
        let t = QueueHarness.now
        let taken = try #require(try h.fetch(now: t, worker: "w:1"))
        #expect(try h.store.cancel(id) == .requested)
        var job = FetchedJob(id: id, queue: "default", lease: taken.lease, attempt: taken.attempt, document: taken.doc,
                             maxAttempts: taken.maxAttempts)
        job.runRecord = h.heldRun(id, lease: taken.lease, worker: "w:1")
        #expect(try h.store.release(job) == true)
        let ended = try h.job(id)
        #expect(ended.state == .canceled)
        #expect(try h.fetch(now: t + 1, worker: "w:2") == nil)
    }
}
