import DroverCore
@testable import DroverQueue
import DroverTestSupport
import Testing

/// Fencing across jobs that reuse an id, retention with several TTLs in one queue, and a cancel
/// racing retention (found in review; each of these once went wrong).
@Suite struct ReusedIDAndRetentionTests {
    /// A worker that stalled past its lease finishes long after its job was recovered, run
    /// elsewhere and deleted, and a new job was enqueued with the same caller-chosen id, whose
    /// current run has the same lease number as the stalled one: a first run in the fast home
    /// (lease 1), or a second run in the job's own hash (lease 2). The late finish must not end
    /// the new job's run, nor its lease keeper renew that run, nor its progress land on it.
    @Test(arguments: [1, 2])
    func aLateFinisherOfAnEarlierJobWithTheSameIDIsStale(runs: Int) throws {
        let h = try QueueHarness()
        let id = JobID("report-42")
        let t = QueueHarness.now
        try h.enqueue("old") { $0.id = id; $0.resultTTL = .zero }
        if runs == 2 {
            let first = try #require(try h.fetch(now: t, worker: "host-z:9"))
            #expect(try h.recover(id, lease: first.lease, now: t + 1) == "queued")
        }
        let stalled = try #require(try h.fetch(now: t + 2, leaseMs: 1_000, worker: "host-a:1"))
        #expect(stalled.lease == runs)
        #expect(try h.recoverExpired(now: t + 2_000) == [id])
        let rerun = try #require(try h.fetch(now: t + 2_001, worker: "host-b:2"))
        #expect(try h.finish(id, lease: rerun.lease, outcome: "finished", now: t + 2_002, worker: "host-b:2").status == "finished")
        #expect(try h.store.job(id) == nil)

        try h.enqueue("new", args: #"{"v":2}"#) { $0.id = id; $0.resultTTL = .seconds(500) }
        var current = try #require(try h.fetch(now: t + 3_000, worker: "host-c:3"))
        if runs == 2 {
            #expect(try h.recover(id, lease: current.lease, now: t + 3_001) == "queued")
            current = try #require(try h.fetch(now: t + 3_002, worker: "host-c:3"))
        }
        #expect(current.lease == stalled.lease)

        let late = try h.finish(id, lease: stalled.lease, outcome: "finished", payload: #""stale""#, now: t + 4_000,
                                worker: "host-a:1")
        #expect(late.status == "stale")
        let job = try h.job(id)
        #expect(job.state == .started)
        #expect(job.worker == "host-c:3")
        let deadline = try #require(try h.score(h.keys.started("default"), id))

        // The stalled run's lease keeper and progress reports are fenced the same way, while
        // the current run's go through.
        #expect(try h.renew(id, lease: stalled.lease, deadline: t + 900_000, worker: "host-a:1") == -1)
        #expect(try h.progress(id, lease: stalled.lease, percent: "50", worker: "host-a:1") == -1)
        #expect(try h.score(h.keys.started("default"), id) == deadline)
        #expect(try h.job(id).progress == nil)
        #expect(try h.renew(id, lease: current.lease, deadline: t + 90_000, worker: "host-c:3") == 0)
        #expect(try h.progress(id, lease: current.lease, percent: "20", worker: "host-c:3") == 1)
        #expect(try h.score(h.keys.started("default"), id) == Double(t + 90_000))
        #expect(try h.job(id).progress == 20)

        // The new job's own run still ends it, with its result.
        #expect(try h.finish(id, lease: current.lease, outcome: "finished", payload: "2", now: t + 5_000,
                             worker: "host-c:3").status == "finished")
        #expect(try h.job(id).resultJSON == "2")
    }

    /// Jobs with different result TTLs in one queue: the hot path's trim must drop only jobs
    /// whose own TTL has passed, not every job older than the TTL of the job finishing now.
    @Test func trimKeepsJobsWhoseOwnTTLIsLonger() throws {
        let h = try QueueHarness()
        let long = try h.enqueue("long") { $0.resultTTL = .hours(24) }
        let t = (QueueHarness.now / 16) * 16
        let fl = try #require(try h.fetch(now: t))
        #expect(try h.finish(long, lease: fl.lease, outcome: "finished", now: t).status == "finished")
        let short = try h.enqueue("short") { $0.resultTTL = .seconds(1) }
        let fs = try #require(try h.fetch(now: t + 32_000))
        // `now % 16 == 0`: this finish trims the registry, by the short job's 1 s.
        #expect(try h.finish(short, lease: fs.lease, outcome: "finished", now: t + 32_000).status == "finished")
        #expect(try h.job(long).state == .finished)
        #expect(try Set(h.store.ids(in: "finished", queue: "default")) == [long, short])

        // The same for failed jobs, which live in their own hashes with the failure TTL.
        let keep = try h.enqueue("keep") { $0.failureTTL = .hours(24 * 30); $0.maxAttempts = 1 }
        let fk = try #require(try h.fetch(now: t + 40_000))
        _ = try h.finish(keep, lease: fk.lease, outcome: "failed", payload: QueueHarness.boom, now: t + 40_000)
        let brief = try h.enqueue("brief") { $0.failureTTL = .seconds(60); $0.maxAttempts = 1 }
        let fb = try #require(try h.fetch(now: t + 160_000))
        _ = try h.finish(brief, lease: fb.lease, outcome: "failed", payload: QueueHarness.boom, now: t + 160_000)
        #expect(try Set(h.store.ids(in: "failed", queue: "default")) == [keep, brief])
    }

    /// A finished plain run whose result TTL has passed, which the sweep has not dropped yet:
    /// cancelling it answers "not found", not a script error.
    @Test func cancelOfAFinishedJobPastItsTTLIsMissing() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("gone-soon") { $0.resultTTL = .seconds(1) }
        let t = QueueHarness.now - 10_000
        let run = try #require(try h.fetch(now: t))
        #expect(try h.finish(id, lease: run.lease, outcome: "finished", now: t + 1).status == "finished")
        do {
            _ = try h.store.cancel(id)
            Issue.record("cancel of an expired job succeeded")
        } catch {
            #expect(error.code == .notFound)
        }
        #expect(try h.store.job(id) == nil)
    }
}

/// Retention and promotion details found in review.
@Suite struct RetentionAndPromotionTests {
    /// A canceled job with id `id` whose hash has expired, its id still in canceled:default
    /// (the sweep has not reached it yet).
    static func leaveExpiredCanceledEntry(_ id: JobID, in h: QueueHarness) throws {
        try h.enqueue("old") { $0.id = id; $0.failureTTL = .seconds(1) }
        #expect(try h.store.cancel(id) == .canceled)
        _ = try h.client.command("DEL", h.keys.job(id.rawValue))
        #expect(try h.store.ids(in: "canceled", queue: "default") == [id])
    }

    /// A canceled job with a caller-chosen id expires; before the sweep drops its registry
    /// entry, a new job takes the id. The sweep (and the hot path's trim) must not delete the new
    /// job's record along with the old entry.
    @Test func aSweepOfAnExpiredEntryKeepsANewJobWithTheSameID() throws {
        let h = try QueueHarness()
        let id = JobID("nightly-7")
        try Self.leaveExpiredCanceledEntry(id, in: h)
        try h.enqueue("new", args: #"{"v":2}"#) { $0.id = id }
        #expect(try h.store.sweepExpired(now: QueueHarness.now + 10_000) == 1)
        #expect(try h.store.ids(in: "canceled", queue: "default").isEmpty)
        let job = try h.job(id)
        #expect(job.state == .queued)
        let run = try #require(try h.fetch())
        #expect(run.id == id && run.doc.contains(#""v":2"#))
    }

    /// A delayed job joins its queue at its due time: the queue's age counts from then, not from
    /// when it was enqueued an hour before.
    @Test func aDelayedJobIsQueuedSinceItsDueTime() throws {
        let h = try QueueHarness()
        let t = QueueHarness.now
        let id = try h.enqueue("later") { $0.runAt = t + 3_600_000 }
        #expect(try h.store.promoteDue(now: t + 3_600_005).moved == 1)
        #expect(try h.job(id).state == .queued)
        let counts = try #require(try h.store.info().first { $0.name == "default" })
        #expect(counts.oldestQueuedAt == t + 3_600_000, "\(String(describing: counts.oldestQueuedAt))")
        // Its creation time stays what it was, in the fast home and once in its own hash.
        let queued = try h.job(id)
        #expect(queued.createdAt >= t && queued.createdAt < t + 60_000, "\(queued.createdAt)")
        #expect(queued.enqueuedAt == t + 3_600_000)
        let run = try #require(try h.fetch(now: t + 3_600_010))
        #expect(run.id == id)
        #expect(try h.recover(id, lease: run.lease, now: t + 3_600_020) == "queued")
        #expect(try h.job(id).createdAt == queued.createdAt)
    }

    /// An expired canceled job's id, still in canceled:Q, is reused by a job that finishes a
    /// plain run: retention of the old entry must not delete the new job's result.
    @Test func theOldEntryOfAReusedIDLeavesTheNewResultAlone() throws {
        let h = try QueueHarness()
        let id = JobID("weekly-3")
        try Self.leaveExpiredCanceledEntry(id, in: h)
        try h.enqueue("new") { $0.id = id; $0.resultTTL = .seconds(3600) }
        let t = QueueHarness.now
        let run = try #require(try h.fetch(now: t))
        #expect(try h.finish(id, lease: run.lease, outcome: "finished", payload: "42", now: t + 1).status == "finished")
        // Both entries are old enough for a 1 s TTL; only the canceled one may go.
        #expect(try h.store.sweepExpired(now: t + 10_000) == 1)
        #expect(try h.job(id).resultJSON == "42")
        #expect(try h.store.ids(in: "finished", queue: "default") == [id])
    }
}
