@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

@Suite struct FetchFinishTests {
    @Test func higherPriorityFirstAndFifoAmongEquals() throws {
        let h = try QueueHarness()
        let priorities = [0, 5, 0, -3, 5, 1000, -1000, 0, 5, -3]
        // Some one at a time, the rest in one batch: the order must not depend on how they came.
        for (i, p) in priorities.prefix(4).enumerated() {
            try h.enqueue("p\(i)") { $0.priority = p }
        }
        let rest = priorities.enumerated().dropFirst(4).map { i, p in
            var o = JobOptions(); o.priority = p
            return EnqueueRequest(name: "p\(i)", options: o)
        }
        _ = try h.store.enqueue(rest, batchSize: 3)
        let expected = priorities.enumerated().sorted { a, b in
            a.element != b.element ? a.element > b.element : a.offset < b.offset
        }.map { "p\($0.offset)" }
        // The queue's registry page lists them in that order too, and pages through it.
        let listed = try h.store.ids(in: "queue", queue: "default", limit: 100)
        #expect(try listed.map { try h.job($0).name } == expected)
        #expect(try h.store.ids(in: "queue", queue: "default", offset: 3, limit: 4) == Array(listed[3..<7]))
        #expect(try h.store.ids(in: "queue", queue: "default", offset: 9, limit: 5) == [listed[9]])
        var order: [String] = []
        while let job = try h.fetch() { order.append(job.name) }
        #expect(order == expected)
        #expect(order == ["p5", "p1", "p4", "p8", "p0", "p2", "p7", "p3", "p9", "p6"])
    }

    @Test func queuesAreTakenInStrictOrder() throws {
        let h = try QueueHarness()
        for i in 0..<3 { try h.enqueue("low\(i)") { $0.queue = "low"; $0.priority = 100 } }
        for i in 0..<2 { try h.enqueue("high\(i)") { $0.queue = "high"; $0.priority = -100 } }
        try h.enqueue("ignored") { $0.queue = "unlisted" }
        var order: [String] = []
        while let job = try h.fetch(["high", "low"]) {
            order.append("\(job.queue)/\(job.name)")
        }
        #expect(order == ["high/high0", "high/high1", "low/low0", "low/low1", "low/low2"])
        #expect(try h.queued("unlisted").count == 1)

        try h.enqueue("h") { $0.queue = "high" }
        try h.enqueue("l") { $0.queue = "low" }
        #expect(try h.fetch(["low", "high"])?.name == "l")
        #expect(try h.fetch(["low", "high"])?.name == "h")
    }

    @Test func fetchStartsTheJobUnderALease() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("resize", args: #"{"w":640}"#) { $0.maxAttempts = 4; $0.queue = "img" }
        let t = QueueHarness.now
        let fetched = try #require(try h.fetch(["img"], now: t, leaseMs: 45_000, worker: "host-b:4242"))
        #expect(fetched.id == id)
        #expect(fetched.queue == "img")
        #expect(fetched.lease == 1)
        #expect(fetched.attempt == 1)
        #expect(fetched.name == "resize")
        #expect(fetched.maxAttempts == 4)
        #expect(fetched.args == #"{"w":640}"#)
        #expect(fetched.doc.hasPrefix(#"{"name":"resize""#))

        let job = try h.job(id)
        #expect(job.state == .started)
        #expect(job.attempt == 1)
        #expect(job.lease == 1)
        #expect(job.startedAt == t)
        #expect(job.worker == "host-b:4242")
        #expect(try h.score(h.keys.started("img"), id) == Double(t + 45_000))
        #expect(try h.queued("img").count == 0)
        // Nothing left: no job, and the wake-up tokens are gone.
        #expect(try h.fetch(["img"]) == nil)
        #expect(try h.exists(h.keys.signal("img")) == false)
    }

    @Test func finishedJobIsDroppedAfterItsTTL() throws {
        let h = try QueueHarness()
        let a = try h.enqueue("a") { $0.resultTTL = .seconds(60) }
        let b = try h.enqueue("b") { $0.resultTTL = .seconds(60) }
        // Registry trimming is amortized to finish calls whose time is a multiple of 16 ms.
        let t = (QueueHarness.now / 16) * 16
        let fa = try #require(try h.fetch(now: t))
        _ = try h.finish(a, lease: fa.lease, outcome: "finished", payload: "1", now: t)
        #expect(try h.job(a).state == .finished)
        let fb = try #require(try h.fetch(now: t + 60_016))
        #expect(fb.id == b)
        // Within the TTL of a, nothing is dropped…
        _ = try h.finish(b, lease: fb.lease, outcome: "finished", payload: "2", now: t + 59_984)
        #expect(try h.job(a).state == .finished)
        // …and a finish after it drops a's record and result.
        let c = try h.enqueue("c") { $0.resultTTL = .seconds(60) }
        let fc = try #require(try h.fetch(now: t + 60_016))
        #expect(fc.id == c)
        _ = try h.finish(c, lease: fc.lease, outcome: "finished", payload: "3", now: t + 60_016)
        #expect(try h.store.job(a) == nil)
        #expect(try h.store.ids(in: "finished", queue: "default").contains(a) == false)
        #expect(try h.job(b).state == .finished)
    }

    @Test func finishStoresTheResultAndFetchesTheNextJob() throws {
        let h = try QueueHarness()
        let a = try h.enqueue("a") { $0.resultTTL = .seconds(120) }
        let b = try h.enqueue("b")
        let t = QueueHarness.now
        let fa = try #require(try h.fetch(now: t))
        #expect(fa.id == a)
        let done = try h.finish(a, lease: fa.lease, outcome: "finished", payload: #"{"sum":3}"#, now: t + 10,
                                next: ["default"], leaseMs: 20_000, worker: "host-a:7")
        #expect(done.status == "finished")
        let next = try #require(done.next)
        #expect(next.id == b)
        #expect(next.lease == 1 && next.attempt == 1)

        let job = try h.job(a)
        #expect(job.state == .finished)
        #expect(job.resultJSON == #"{"sum":3}"#)
        #expect(job.endedAt == t + 10)
        // A plain first run that succeeds stays in its fast home (no key of its own); its
        // result TTL is enforced by the finished registry (see finishedJobIsDroppedAfterItsTTL).
        #expect(try h.pttl(a) == -2)
        #expect(try h.score(h.keys.registry("finished", "default"), a) == Double(t + 10))
        #expect(try h.score(h.keys.started("default"), a) == nil)
        #expect(try h.store.ids(in: "finished", queue: "default") == [a])
        #expect(try h.stat("default", "finished") == 1)

        let jobB = try h.job(b)
        #expect(jobB.state == .started)
        #expect(jobB.worker == "host-a:7")
        #expect(try h.score(h.keys.started("default"), b) == Double(t + 10 + 20_000))

        // Finishing the last job with nothing left: no next job.
        let last = try h.finish(b, lease: 1, outcome: "finished", payload: "1", next: ["default"])
        #expect(last.status == "finished")
        #expect(last.next == nil)
    }

    @Test func finishWithZeroResultTTLDeletesTheJob() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("fire-and-forget") { $0.resultTTL = .zero; $0.uniqueKey = "once" }
        let fetched = try #require(try h.fetch())
        #expect(try h.finish(id, lease: fetched.lease, outcome: "finished", payload: "true").status == "finished")
        #expect(try h.store.job(id) == nil)
        #expect(try h.stored(id) == false)
        #expect(try h.registriesHolding(id) == [])
        #expect(try h.uniqueHolder("once") == nil)
    }

    @Test func failedGoesToTheFailedRegistryWithTheFailureTTL() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("flaky") { $0.failureTTL = .hours(1); $0.uniqueKey = "flaky:1" }
        let t = QueueHarness.now
        let fetched = try #require(try h.fetch(now: t))
        let done = try h.finish(id, lease: fetched.lease, outcome: "failed", payload: QueueHarness.boom, now: t + 5)
        #expect(done.status == "failed")
        let job = try h.job(id)
        #expect(job.state == .failed)
        #expect(job.error == JobError(type: "ValueError", message: "boom"))
        #expect(job.endedAt == t + 5)
        let ttl = try h.pttl(id)
        #expect(ttl > 3_595_000 && ttl <= 3_600_000)
        #expect(try h.score(h.keys.registry("failed", "default"), id) == Double(t + 5))
        #expect(try h.registriesHolding(id) == ["failed:default"])
        #expect(try h.store.ids(in: "failed", queue: "default") == [id])
        #expect(try h.uniqueHolder("flaky:1") == nil)
        #expect(try h.stat("default", "failed") == 1)
    }

    @Test func retryIsScheduledAndPromotedWhenDue() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("retry-me") { $0.maxAttempts = 3; $0.uniqueKey = "retry-me" }
        let t = QueueHarness.now
        let first = try #require(try h.fetch(now: t))
        let retryAt = t + 60_000
        let done = try h.finish(id, lease: first.lease, outcome: "retry", payload: QueueHarness.boom,
                                retryAt: retryAt, now: t + 1)
        #expect(done.status == "retry")
        var job = try h.job(id)
        #expect(job.state == .scheduled)
        #expect(job.scheduledFor == retryAt)
        #expect(job.error?.message == "boom")
        #expect(job.attempt == 1)
        #expect(try h.registriesHolding(id) == ["scheduled:default"])
        #expect(try h.score(h.keys.scheduled("default"), id) == Double(retryAt))
        #expect(try h.stat("default", "retried") == 1)
        // Still live: its unique key is held.
        #expect(try h.uniqueHolder("retry-me") == id.rawValue)

        // Not yet due.
        #expect(try h.fetch(now: retryAt - 1) == nil)
        #expect(try h.job(id).state == .scheduled)

        // Due: the fetch promotes it and takes it.
        let second = try #require(try h.fetch(now: retryAt))
        #expect(second.id == id)
        #expect(second.attempt == 2)
        #expect(second.lease == 2)
        job = try h.job(id)
        #expect(job.state == .started)
        #expect(try h.registriesHolding(id) == ["started:default"])
    }

    @Test func retryAtInThePastIsTakenByTheNextFetch() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("again") { $0.maxAttempts = 5 }
        let first = try #require(try h.fetch())
        let done = try h.finish(id, lease: first.lease, outcome: "retry", payload: QueueHarness.boom,
                                retryAt: QueueHarness.now - 1_000)
        #expect(done.status == "retry")
        #expect(try h.job(id).state == .scheduled)
        let second = try #require(try h.fetch())
        #expect(second.id == id && second.attempt == 2 && second.lease == 2)
        #expect(try h.card(h.keys.scheduled("default")) == 0)
    }

    @Test func retryOfACancelRequestedJobEndsCanceled() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("stop-me") { $0.maxAttempts = 5 }
        let fetched = try #require(try h.fetch())
        #expect(try h.store.cancel(id) == .requested)
        let done = try h.finish(id, lease: fetched.lease, outcome: "retry", payload: QueueHarness.boom,
                                retryAt: QueueHarness.now + 1_000)
        #expect(done.status == "canceled")
        #expect(try h.job(id).state == .canceled)
        #expect(try h.registriesHolding(id) == ["canceled:default"])
    }

    /// The worker hands back the run record its fetch returned, so the common finish skips
    /// reading it; without it the script reads the record itself. Both paths end the same way,
    /// and a second finish of the same run is stale on either.
    @Test(arguments: [true, false])
    func finishWithOrWithoutTheRunRecordEndsTheSame(handBack: Bool) throws {
        let h = try QueueHarness()
        let id = try h.enqueue("plain") { $0.resultTTL = .seconds(60) }
        let t = QueueHarness.now
        let run = try #require(try h.fetch(now: t, worker: "host-b:9"))
        let done = try h.finish(id, lease: run.lease, outcome: "finished", payload: "7", now: t + 5, worker: "host-b:9",
                                handBackRun: handBack)
        #expect(done.status == "finished")
        let job = try h.job(id)
        #expect(job.state == .finished)
        #expect(job.resultJSON == "7")
        #expect(job.startedAt == t && job.endedAt == t + 5)
        #expect(job.worker == "host-b:9")
        #expect(try h.pttl(id) == -2)
        #expect(try h.score(h.keys.started("default"), id) == nil)
        #expect(try h.stat("default", "finished") == 1)

        let before = try h.store.job(id)
        #expect(try h.finish(id, lease: run.lease, outcome: "finished", payload: "8", worker: "host-b:9",
                             handBackRun: handBack).status == "stale")
        #expect(try h.store.job(id) == before)
        #expect(try h.stat("default", "finished") == 1)
    }

    @Test func finishWithAStaleLeaseChangesNothing() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("contended")
        let t = QueueHarness.now
        let first = try #require(try h.fetch(now: t, worker: "old"))
        #expect(try h.recover(id, lease: first.lease) == "queued")
        let second = try #require(try h.fetch(now: t + 100, worker: "new"))
        #expect(second.lease == 2)

        let before = try h.store.job(id)
        let started = try h.members(h.keys.started("default"))
        // The old run's late finish, and a made-up lease: both fenced off.
        for lease in [first.lease, 99] {
            #expect(try h.finish(id, lease: lease, outcome: "finished", payload: "\"late\"").status == "stale")
            #expect(try h.finish(id, lease: lease, outcome: "failed", payload: QueueHarness.boom).status == "stale")
        }
        #expect(try h.store.job(id) == before)
        #expect(try h.members(h.keys.started("default")) == started)
        #expect(try h.score(h.keys.started("default"), id) == Double(t + 100 + 30_000))
        #expect(try h.card(h.keys.registry("finished", "default")) == 0)
        #expect(try h.card(h.keys.registry("failed", "default")) == 0)
        #expect(try h.stat("default", "stale") == 4)

        // The current run finishes; a second finish of the same run is stale and changes nothing.
        #expect(try h.finish(id, lease: second.lease, outcome: "finished", payload: "\"mine\"").status == "finished")
        let ended = try h.store.job(id)
        #expect(try h.finish(id, lease: second.lease, outcome: "failed", payload: QueueHarness.boom).status == "stale")
        #expect(try h.store.job(id) == ended)
        #expect(try h.job(id).resultJSON == "\"mine\"")
        // A stale finish takes no next job: it may be a call whose reply was lost, delivered
        // after its retry, and a job it took would wait out its lease (see LostReplyTests).
        let other = try h.enqueue("other")
        let reply = try h.finish(id, lease: 1, outcome: "finished", next: ["default"])
        #expect(reply.status == "stale")
        #expect(reply.next == nil)
        #expect(try h.queued("default") == [other])
    }
}
