@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

@Suite struct RecoveryTests {
    @Test func recoverPutsTheJobBackAtTheFrontOfItsPriority() throws {
        let h = try QueueHarness()
        let a = try h.enqueue("a")
        let b = try h.enqueue("b")
        let c = try h.enqueue("c")
        let first = try #require(try h.fetch())
        #expect(first.id == a)
        let high = try h.enqueue("high") { $0.priority = 5 }
        #expect(try h.recover(a, lease: first.lease) == "queued")

        let job = try h.job(a)
        #expect(job.state == .queued)
        #expect(job.attempt == 1)
        #expect(job.lease == 1)
        #expect(try h.registriesHolding(a) == ["queue:default"])
        #expect(try h.stat("default", "lost") == 1)

        // Ahead of the jobs of its own priority that were waiting, behind a higher priority.
        var order: [JobID] = []
        var attempts: [Int] = []
        while let next = try h.fetch() {
            order.append(next.id)
            attempts.append(next.attempt)
        }
        #expect(order == [high, a, b, c])
        #expect(attempts == [1, 2, 1, 1])
        #expect(try h.job(a).lease == 2)
    }

    /// A run killed at its hard time limit is retried per its backoff (the master gives the
    /// time), not put back at the front at once; with its attempts spent it fails all the same.
    @Test func recoverWithARetryTimeSchedulesTheJob() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("slow") { $0.maxAttempts = 2 }
        let first = try #require(try h.fetch())
        let t = QueueHarness.now
        let limit = JobError(type: "TimeLimit", message: "killed", signal: "KILL")
        #expect(try h.store.recover(id, lease: first.lease, error: limit, retryAt: t + 15_000) == .scheduled)
        let job = try h.job(id)
        #expect(job.state == .scheduled && job.scheduledFor == t + 15_000 && job.error?.type == "TimeLimit")
        #expect(try h.queued("default").isEmpty)
        #expect(try h.stat("default", "retried") == 1)
        // Its second and last run, killed too: failed, whatever the retry time.
        _ = try h.store.promoteDue(now: t + 15_000)
        let second = try #require(try h.fetch(now: t + 15_001))
        #expect(try h.store.recover(id, lease: second.lease, error: limit, retryAt: t + 60_000) == .failed)
        #expect(try h.job(id).state == .failed)

        // A handler's own policy allows fewer attempts than the job: -1 fails it now.
        let other = try h.enqueue("handler-limited") { $0.maxAttempts = 5; $0.queue = "other" }
        let run = try #require(try h.fetch(["other"]))
        #expect(try h.store.recover(other, lease: run.lease, error: limit, retryAt: -1) == .failed)
        #expect(try h.job(other).attempt == 1)
    }

    @Test func recoverFailsTheJobWhenItsAttemptsAreSpent() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("doomed") { $0.maxAttempts = 2; $0.failureTTL = .hours(2); $0.uniqueKey = "doomed" }
        let first = try #require(try h.fetch())
        #expect(try h.recover(id, lease: first.lease) == "queued")
        let second = try #require(try h.fetch())
        #expect(second.attempt == 2)
        let t = QueueHarness.now
        #expect(try h.recover(id, lease: second.lease, now: t) == "failed")

        let job = try h.job(id)
        #expect(job.state == .failed)
        #expect(job.attempt == 2)
        #expect(job.endedAt == t)
        #expect(job.error == JobError(type: "Crash", message: "child died", signal: "KILL"))
        #expect(try h.registriesHolding(id) == ["failed:default"])
        let ttl = try h.pttl(id)
        #expect(ttl > 7_195_000 && ttl <= 7_200_000)
        #expect(try h.uniqueHolder("doomed") == nil)
        #expect(try h.stat("default", "lost") == 2)
        #expect(try h.stat("default", "failed") == 1)
    }

    @Test func recoverCancelsAJobWhoseCancelWasRequested() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("long") { $0.maxAttempts = 10 }
        let fetched = try #require(try h.fetch())
        #expect(try h.store.cancel(id) == .requested)
        #expect(try h.recover(id, lease: fetched.lease) == "canceled")
        let job = try h.job(id)
        #expect(job.state == .canceled)
        #expect(try h.registriesHolding(id) == ["canceled:default"])
        #expect(try h.fetch() == nil)
    }

    @Test func recoverIsFencedByTheLease() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("fenced")
        let fetched = try #require(try h.fetch())
        let before = try h.store.job(id)
        #expect(try h.recover(id, lease: fetched.lease + 1) == "stale")
        #expect(try h.store.job(id) == before)
        #expect(try h.registriesHolding(id) == ["started:default"])
        #expect(try h.stat("default", "lost") == 0)
        // -1 recovers whatever run holds it.
        #expect(try h.recover(id, lease: -1) == "queued")
        // A job that is not started cannot be recovered.
        #expect(try h.recover(id, lease: -1) == "stale")
        #expect(try h.recover(JobID("nope"), lease: -1) == "stale")
        #expect(try h.job(id).state == .queued)
    }

    @Test func recoverExpiredRecoversOnlyExpiredLeases() throws {
        let h = try QueueHarness()
        let t = QueueHarness.now
        let a = try h.enqueue("short-lease")
        let b = try h.enqueue("long-lease")
        let c = try h.enqueue("other-queue") { $0.queue = "other"; $0.maxAttempts = 1 }
        #expect(try h.fetch(now: t, leaseMs: 1_000)?.id == a)
        #expect(try h.fetch(now: t, leaseMs: 600_000)?.id == b)
        #expect(try h.fetch(["other"], now: t, leaseMs: 2_000)?.id == c)
        // A leftover entry whose job is no longer started is dropped, not recovered.
        try h.client.command("ZADD", h.keys.started("default"), String(t), "ghost")

        #expect(try h.recoverExpired(now: t + 999).isEmpty)
        #expect(try h.job(a).state == .started)

        let recovered = try h.recoverExpired(now: t + 5_000)
        #expect(Set(recovered) == [a, c])
        #expect(recovered.count == 2)
        #expect(try h.job(a).state == .queued)
        #expect(try h.job(c).state == .failed)
        #expect(try h.job(c).error?.signal == "KILL")
        #expect(try h.job(b).state == .started)
        #expect(try h.score(h.keys.started("default"), b) == Double(t + 600_000))
        #expect(try h.members(h.keys.started("default")) == [b.rawValue])
        #expect(try h.recoverExpired(now: t + 5_000).isEmpty)
        #expect(try h.fetch()?.id == a)
    }

    @Test func recoverExpiredHonoursItsLimit() throws {
        let h = try QueueHarness()
        let t = QueueHarness.now
        for i in 0..<5 { try h.enqueue("j\(i)") }
        for _ in 0..<5 { _ = try #require(try h.fetch(now: t, leaseMs: 10)) }
        #expect(try h.recoverExpired(now: t + 100, limit: 2).count == 2)
        #expect(try h.card(h.keys.started("default")) == 3)
        #expect(try h.recoverExpired(now: t + 100, limit: 10).count == 3)
        #expect(try h.queued("default").count == 5)
    }

    @Test func renewExtendsTheDeadlineAndReportsCancelAndFencing() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("renewed")
        let t = QueueHarness.now
        let fetched = try #require(try h.fetch(now: t, leaseMs: 30_000))
        #expect(try h.renew(id, lease: fetched.lease, deadline: t + 90_000) == 0)
        #expect(try h.score(h.keys.started("default"), id) == Double(t + 90_000))
        // An expiry sweep before the new deadline leaves it alone.
        #expect(try h.recoverExpired(now: t + 60_000).isEmpty)

        #expect(try h.store.cancel(id) == .requested)
        #expect(try h.renew(id, lease: fetched.lease, deadline: t + 120_000) == 1)
        #expect(try h.score(h.keys.started("default"), id) == Double(t + 120_000))

        // Taken over by a later run: the old run is fenced off and moves nothing.
        #expect(try h.recover(id, lease: -1) == "canceled")
        let id2 = try h.enqueue("renewed-2")
        let first = try #require(try h.fetch(now: t))
        #expect(try h.recover(id2, lease: first.lease) == "queued")
        let second = try #require(try h.fetch(now: t, leaseMs: 10_000))
        #expect(second.lease == 2)
        #expect(try h.renew(id2, lease: first.lease, deadline: t + 999_999) == -1)
        #expect(try h.score(h.keys.started("default"), id2) == Double(t + 10_000))
        #expect(try h.renew(id2, lease: second.lease, deadline: t + 20_000) == 0)
        // An ended job cannot be renewed.
        #expect(try h.renew(id, lease: fetched.lease, deadline: t + 1) == -1)
        #expect(try h.renew(JobID("nope"), lease: 1, deadline: t + 1) == -1)
        #expect(try h.registriesHolding(id) == ["canceled:default"])
    }

    @Test func progressIsVisibleFromAnotherConnection() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("upload")
        let fetched = try #require(try h.fetch())
        #expect(try h.progress(id, lease: fetched.lease, percent: "42.5", note: #"{"step":"resize"}"#) == 1)

        let reader = JobStore(client: h.server.client())
        var job = try #require(try reader.job(id))
        #expect(job.progress == 42.5)
        #expect(job.progressNote == #"{"step":"resize"}"#)

        // A fenced-off run cannot write progress.
        #expect(try h.progress(id, lease: fetched.lease + 1, percent: "99") == -1)
        job = try #require(try reader.job(id))
        #expect(job.progress == 42.5)

        #expect(try h.progress(id, lease: fetched.lease, percent: "100") == 1)
        job = try #require(try reader.job(id))
        #expect(job.progress == 100)
        #expect(job.progressNote == nil)

        _ = try h.finish(id, lease: fetched.lease, outcome: "finished")
        #expect(try h.progress(id, lease: fetched.lease, percent: "5") == -1)
        #expect(try reader.job(id)?.progress == 100)
    }
}
