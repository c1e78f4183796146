@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

@Suite struct ManagementTests {
    // MARK: cancel

    @Test func cancelQueuedJobRemovesItFromItsQueue() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("unwanted") { $0.uniqueKey = "unwanted" }
        let keep = try h.enqueue("wanted")
        let before = QueueHarness.now
        #expect(try h.store.cancel(id) == .canceled)
        let job = try h.job(id)
        #expect(job.state == .canceled)
        #expect(job.error?.type == "Canceled")
        #expect(try #require(job.endedAt) >= before)
        #expect(try h.registriesHolding(id) == ["canceled:default"])
        #expect(try h.queued("default") == [keep])
        #expect(try h.uniqueHolder("unwanted") == nil)
        #expect(try h.stat("default", "canceled") == 1)
        #expect(try h.fetch()?.id == keep)
        #expect(try h.fetch() == nil)
    }

    @Test func cancelScheduledJob() throws {
        let h = try QueueHarness()
        let runAt = QueueHarness.now + 60_000
        let id = try h.enqueue("later") { $0.runAt = runAt }
        #expect(try h.store.cancel(id) == .canceled)
        #expect(try h.job(id).state == .canceled)
        #expect(try h.card(h.keys.scheduled("default")) == 0)
        #expect(try h.registriesHolding(id) == ["canceled:default"])
        // It never comes due.
        #expect(try h.fetch(now: runAt + 1) == nil)
    }

    @Test func cancelStartedJobRequestsIt() throws {
        let h = try QueueHarness()
        let id = try h.make(.started)
        #expect(try h.store.cancel(id) == .requested)
        let job = try h.job(id)
        #expect(job.state == .started)
        #expect(job.cancelRequested)
        #expect(try h.client.command("HGET", h.keys.job(id.rawValue), "cancel").string == "1")
        #expect(try h.registriesHolding(id).count == 1)
        #expect(try h.registriesHolding(id)[0].hasPrefix("started:"))
        // Asking again is still a request.
        #expect(try h.store.cancel(id) == .requested)
    }

    @Test(arguments: [JobState.finished, .failed, .canceled])
    func cancelEndedJobIsRefused(_ state: JobState) throws {
        let h = try QueueHarness()
        let id = try h.make(state)
        let before = try h.store.job(id)
        let error = queueError { try h.store.cancel(id) }
        #expect(error?.code == .refused)
        #expect(error?.message.contains(state.rawValue) == true)
        #expect(try h.store.job(id) == before)
    }

    @Test func cancelUnknownIsNotFound() throws {
        let h = try QueueHarness()
        #expect(queueError { try h.store.cancel(JobID("01NOSUCHJOB")) }?.code == .notFound)
        #expect(try h.dbsize() == 0)
    }

    // MARK: requeue

    @Test func requeueFailedJobWithFreshAttempts() throws {
        let h = try QueueHarness()
        let id = try h.make(.failed, uniqueKey: "again", queue: "work")
        #expect(try h.job(id).attempt == 1)
        #expect(try h.pttl(id) > 0)
        try h.store.requeue(id)

        let job = try h.job(id)
        #expect(job.state == .queued)
        #expect(job.attempt == 0)
        #expect(job.endedAt == nil)
        #expect(job.startedAt == nil)
        #expect(try h.pttl(id) == -1)
        #expect(try h.registriesHolding(id) == ["queue:work"])
        #expect(try h.uniqueHolder("again") == id.rawValue)
        #expect(try h.stat("work", "requeued") == 1)
        let fetched = try #require(try h.fetch(["work"]))
        #expect(fetched.id == id && fetched.attempt == 1 && fetched.lease == 2)
    }

    @Test func requeueCanceledJob() throws {
        let h = try QueueHarness()
        let id = try h.make(.canceled, queue: "work")
        try h.store.requeue(id)
        #expect(try h.job(id).state == .queued)
        #expect(try h.job(id).cancelRequested == false)
        #expect(try h.registriesHolding(id) == ["queue:work"])
    }

    @Test(arguments: [JobState.queued, .scheduled, .started, .finished])
    func requeueRefusesOtherStates(_ state: JobState) throws {
        let h = try QueueHarness()
        let id = try h.make(state)
        let before = try h.store.job(id)
        let registries = try h.registriesHolding(id)
        let error = queueError { try h.store.requeue(id) }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("is \(state.rawValue);") == true)
        #expect(try h.store.job(id) == before)
        #expect(try h.registriesHolding(id) == registries)
    }

    @Test func requeueOfARecoveredQueuedJobIsRefused() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("lost-once")
        let fetched = try #require(try h.fetch())
        #expect(try h.recover(id, lease: fetched.lease) == "queued")
        #expect(queueError { try h.store.requeue(id) }?.code == .refused)
        #expect(try h.queued("default") == [id])
        #expect(try h.job(id).attempt == 1)
    }

    @Test func requeueIsRefusedWhileAnotherJobHoldsTheUniqueKey() throws {
        let h = try QueueHarness()
        let old = try h.make(.failed, uniqueKey: "k")
        let live = try h.enqueue("new") { $0.uniqueKey = "k" }
        #expect(queueError { try h.store.requeue(old) }?.code == .refused)
        #expect(try h.job(old).state == .failed)
        #expect(try h.uniqueHolder("k") == live.rawValue)
    }

    @Test func requeueUnknownIsNotFound() throws {
        let h = try QueueHarness()
        #expect(queueError { try h.store.requeue(JobID("01NOSUCHJOB")) }?.code == .notFound)
    }

    // MARK: delete

    @Test(arguments: [JobState.queued, .scheduled, .finished, .failed, .canceled])
    func deleteRemovesTheJobFromEveryRegistry(_ state: JobState) throws {
        let h = try QueueHarness()
        let id = try h.make(state, uniqueKey: "u")
        let bystander = try h.make(state)
        #expect(try h.registriesHolding(id).count == 1)
        try h.store.delete(id)
        #expect(try h.store.job(id) == nil)
        #expect(try h.stored(id) == false)
        #expect(try h.registriesHolding(id) == [])
        #expect(try h.uniqueHolder("u") == nil)
        #expect(try h.job(bystander).state == state)
        #expect(queueError { try h.store.delete(id) }?.code == .notFound)
    }

    @Test func deleteStartedJobIsRefused() throws {
        let h = try QueueHarness()
        let id = try h.make(.started)
        let before = try h.store.job(id)
        let registries = try h.registriesHolding(id)
        #expect(queueError { try h.store.delete(id) }?.code == .refused)
        #expect(try h.store.job(id) == before)
        #expect(try h.registriesHolding(id) == registries)
    }

    @Test func deleteUnknownIsNotFound() throws {
        let h = try QueueHarness()
        #expect(queueError { try h.store.delete(JobID("01NOSUCHJOB")) }?.code == .notFound)
    }

    // MARK: empty

    @Test func emptyRemovesOnlyThatQueuesQueuedJobs() throws {
        let h = try QueueHarness()
        let started = try h.make(.started, queue: "bulk")
        let scheduled = try h.enqueue("sched") { $0.queue = "bulk"; $0.runAt = QueueHarness.now + 60_000 }
        let unique = try h.enqueue("u") { $0.queue = "bulk"; $0.uniqueKey = "bulk-u" }
        let bulk = try h.store.enqueue((0..<2_499).map {
            var o = JobOptions(); o.queue = "bulk"
            return EnqueueRequest(name: "b\($0)", options: o)
        }, batchSize: 500)
        let others = try (0..<3).map { i in try h.enqueue("o\(i)") { $0.queue = "other" } }
        #expect(try h.queued("bulk").count == 2_500)

        #expect(try h.store.empty(queue: "bulk") == 2_500)
        #expect(try h.queued("bulk").count == 0)
        #expect(try h.store.job(bulk[0].id) == nil)
        #expect(try h.store.job(bulk[2_498].id) == nil)
        #expect(try h.store.job(unique) == nil)
        #expect(try h.uniqueHolder("bulk-u") == nil)
        // Nothing of the emptied jobs is left.
        let leftovers = try h.client.pipeline(bulk.flatMap { [
            RedisCommand("EXISTS", h.keys.job($0.id.rawValue)), RedisCommand("HEXISTS", h.keys.base + "jobs", $0.id.rawValue),
        ] })
        #expect(leftovers.allSatisfy { $0 == .integer(0) })
        #expect(try h.stored(started) && h.stored(scheduled))
        #expect(try h.store.info().first { $0.name == "bulk" }.map { [$0.queued, $0.scheduled, $0.started] } == [0, 1, 1])
        #expect(try h.job(started).state == .started)
        #expect(try h.job(scheduled).state == .scheduled)
        #expect(try h.queued("other") == others)
        #expect(try h.stat("bulk", "emptied") == 2_500)

        #expect(try h.store.empty(queue: "bulk") == 0)
        #expect(try h.store.empty(queue: "never-used") == 0)
    }

    // MARK: info

    @Test func infoCountsEveryStatePerQueue() throws {
        let h = try QueueHarness()
        #expect(try h.store.info() == [])
        _ = try h.make(.finished, queue: "alpha")
        _ = try h.make(.failed, queue: "alpha")
        _ = try h.make(.started, queue: "alpha")
        _ = try h.make(.canceled, queue: "alpha")
        _ = try h.make(.scheduled, queue: "alpha")
        let oldest = try h.enqueue("q1") { $0.queue = "alpha" }
        Thread.sleep(forTimeInterval: 0.005)
        let newer = try h.enqueue("q2") { $0.queue = "alpha" }
        let beta = try h.enqueue("b1") { $0.queue = "beta" }
        _ = try h.make(.finished, queue: "gamma")

        let oldestAt = try #require(try h.job(oldest).enqueuedAt)
        #expect(try h.job(newer).enqueuedAt != oldestAt)
        let betaAt = try #require(try h.job(beta).enqueuedAt)
        #expect(try h.store.info() == [
            QueueCounts(name: "alpha", queued: 2, scheduled: 1, started: 1, finished: 1, failed: 1, canceled: 1,
                        oldestQueuedAt: oldestAt),
            QueueCounts(name: "beta", queued: 1, scheduled: 0, started: 0, finished: 0, failed: 0, canceled: 0,
                        oldestQueuedAt: betaAt),
            QueueCounts(name: "gamma", queued: 0, scheduled: 0, started: 0, finished: 1, failed: 0, canceled: 0,
                        oldestQueuedAt: nil),
        ])
    }
}
