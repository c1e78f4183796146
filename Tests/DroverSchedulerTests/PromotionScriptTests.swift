import DroverCore
import DroverQueue
import DroverTestSupport
import Foundation
import Testing

/// The promotion script and the wake-up tokens, called directly against a real redis-server.
@Suite struct PromotionScriptTests {
    @Test func promotesDueJobsOfEveryQueueAndReportsTheNextDueTime() throws {
        let h = try SchedulerHarness()
        let now = Timestamp.nowMilliseconds()
        let a = try h.enqueue(queue: "a", runAt: now + 60_000)
        let b = try h.enqueue(queue: "b", runAt: now + 60_000)
        let later = try h.enqueue(queue: "b", runAt: now + 120_000)
        let promotion = try h.store.promoteDue(now: now + 60_000)
        #expect(promotion.moved == 2)
        #expect(promotion.nextDue == now + 120_000)
        #expect(!promotion.more)
        #expect(try h.queued("a") == [a.rawValue])
        #expect(try h.queued("b") == [b.rawValue])
        #expect(try h.store.job(later)?.state == .scheduled)
        #expect(try h.store.job(a)?.state == .queued)
    }

    @Test func aCallBeyondItsLimitSaysMoreAreDue() throws {
        let h = try SchedulerHarness()
        let now = Timestamp.nowMilliseconds()
        for _ in 0..<30 { try h.enqueue(runAt: now + 1000) }
        let first = try h.store.promoteDue(now: now + 1000, limit: 20)
        #expect(first.moved == 20 && first.more && first.nextDue == now + 1000)
        let second = try h.store.promoteDue(now: now + 1000, limit: 20)
        #expect(second.moved == 10 && !second.more && second.nextDue == nil)
        #expect(try h.queued("default").count == 30)
    }

    @Test func promotionKeepsPriorityAndRetriedJobsGetQueuedState() throws {
        let h = try SchedulerHarness()
        let now = Timestamp.nowMilliseconds()
        let low = try h.enqueue(runAt: now + 10)
        let high = try h.enqueue(runAt: now + 10) { $0.priority = 5 }
        _ = try h.store.promoteDue(now: now + 10)
        #expect(try h.queued("default") == [high.rawValue, low.rawValue])
        // A retry lives in its own hash: promotion marks it queued there.
        let spec = FetchSpec(queues: ["default"], worker: "test:1")
        let job = try #require(try h.store.fetch(spec))
        _ = try h.store.finish(job, .retry(JobError(type: "E", message: "again"), retryAt: now + 50), next: nil)
        #expect(try h.store.job(job.id)?.state == .scheduled)
        _ = try h.store.promoteDue(now: now + 50)
        #expect(try h.store.job(job.id)?.state == .queued)
    }

    @Test func twoPromotersRacingNeverQueueAJobTwice() throws {
        let h = try SchedulerHarness()
        // Due a minute from now, so that none is queued at once while the 3000 are written;
        // the promoters are then told it is that time.
        let now = Timestamp.nowMilliseconds() + 60_000
        var expected = Set<String>()
        for i in 0..<3000 { expected.insert(try h.enqueue(queue: i % 2 == 0 ? "x" : "y", runAt: now - 5).rawValue) }
        let other = JobStore(client: h.server.client())
        // Interleave two connections' calls with small limits: each id moves exactly once.
        var moved = 0
        while true {
            let one = try h.store.promoteDue(now: now, limit: 250)
            let two = try other.promoteDue(now: now, limit: 250)
            moved += one.moved + two.moved
            if !one.more && !two.more { break }
        }
        let queued = try h.queued("x") + h.queued("y")
        #expect(moved == 3000)
        #expect(queued.count == 3000)
        #expect(Set(queued) == expected)
    }

    @Test func anEarlierDelayedJobWakesTheSchedulerAndALaterOneDoesNot() throws {
        let h = try SchedulerHarness()
        let wake = h.store.keys.schedulerWake
        let now = Timestamp.nowMilliseconds()
        try h.enqueue(runAt: now + 60_000)
        #expect(try h.client.command("LLEN", wake).int == 1)  // the first job of its queue
        _ = try h.client.command("DEL", wake)
        try h.enqueue(runAt: now + 90_000)
        #expect(try h.client.command("LLEN", wake).int == 0)
        try h.enqueue(runAt: now + 30_000)
        #expect(try h.client.command("LLEN", wake).int == 1)
        // The list is capped and expires, so no scheduler at all leaves nothing behind.
        for i in 0..<20 { try h.enqueue(runAt: now + 20_000 - Int64(i)) }
        #expect(try h.client.command("LLEN", wake).int == 8)
        let ttl = try h.client.command("PTTL", wake).int ?? -1
        #expect(ttl > 0 && ttl <= 60_000)
    }

    @Test func aRetryDueBeforeItsQueuesFirstJobWakesTheScheduler() throws {
        let h = try SchedulerHarness()
        let wake = h.store.keys.schedulerWake
        let now = Timestamp.nowMilliseconds()
        try h.enqueue(runAt: now + 3_600_000)
        try h.enqueue()
        _ = try h.client.command("DEL", wake)
        let job = try #require(try h.store.fetch(FetchSpec(queues: ["default"], worker: "test:1")))
        _ = try h.store.finish(job, .retry(JobError(type: "E", message: "again"), retryAt: now + 1000), next: nil)
        #expect(try h.client.command("LLEN", wake).int == 1)
    }
}
