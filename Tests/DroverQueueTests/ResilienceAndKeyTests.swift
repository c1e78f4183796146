@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

@Suite struct ResilienceAndKeyTests {
    @Test func redisDownIsUnavailableQuickly() throws {
        let h = try QueueHarness()
        let id = try h.enqueue("before")
        h.server.stop()

        let clock = ContinuousClock()
        let started = clock.now
        let first = queueError { try h.store.enqueue(EnqueueRequest(name: "lost")) }
        #expect(first?.code == .unavailable)
        #expect(first?.underlying != nil)
        // Every operation says the same, fast, while it stays down (a retry inside the backoff
        // window does not even try to connect).
        #expect(queueError { try h.store.enqueue(EnqueueRequest(name: "lost")) }?.code == .unavailable)
        #expect(queueError { try h.store.enqueue((0..<300).map { EnqueueRequest(name: "b\($0)") }) }?.code == .unavailable)
        #expect(queueError { try h.store.job(id) }?.code == .unavailable)
        #expect(queueError { try h.store.cancel(id) }?.code == .unavailable)
        #expect(queueError { try h.store.info() }?.code == .unavailable)
        #expect(clock.now - started < .seconds(1))

        // Back up (empty: no persistence, no scripts loaded): the store works again.
        try h.server.start()
        try h.client.waitUntilConnected(deadline: clock.now + .seconds(3))
        let again = try h.store.enqueue(EnqueueRequest(name: "after"))
        #expect(again.state == .queued)
        #expect(try h.queued("default") == [again.id])
    }

    @Test func enqueueSurvivesAFlushedScriptCache() throws {
        let h = try QueueHarness()
        try h.store.preload()
        try h.enqueue("warm")
        let sha = try #require(try h.client.command("SCRIPT", "LOAD", QueueScripts.enqueue.source).string)
        try h.client.command("SCRIPT", "FLUSH")
        #expect(try h.client.command("SCRIPT", "EXISTS", sha).array == [.integer(0)])

        let single = try h.enqueue("single") { $0.uniqueKey = "single" }
        #expect(try h.client.command("SCRIPT", "EXISTS", sha).array == [.integer(1)])

        // The pipelined path (several batches) too.
        try h.client.command("SCRIPT", "FLUSH")
        let many = try h.store.enqueue((0..<250).map {
            var o = JobOptions(); o.uniqueKey = "m\($0)"
            return EnqueueRequest(name: "m\($0)", options: o)
        }, batchSize: 100)
        #expect(many.count == 250)
        #expect(many.allSatisfy { $0.state == .queued })
        #expect(try h.queued("default").count == 252)

        // And every other script.
        try h.client.command("SCRIPT", "FLUSH")
        #expect(try h.fetch()?.name == "warm")
        #expect(try h.store.cancel(single) == .canceled)
        #expect(try h.store.info().first?.queued == 250)
    }

    /// Runs every script at least once, leaving jobs in every state.
    static func fullLifecycle(_ h: QueueHarness) throws {
        let t = QueueHarness.now
        try h.store.preload()
        _ = try h.make(.scheduled, uniqueKey: "u-scheduled")
        let finished = try h.make(.finished, uniqueKey: "u-finished")
        _ = try h.make(.failed)
        _ = try h.make(.canceled)
        let requeued = try h.make(.failed)
        try h.store.requeue(requeued)
        let started = try h.make(.started, uniqueKey: "u-started", queue: "work")
        #expect(try h.progress(started, lease: 1, percent: "50", note: "half") == 1)
        #expect(try h.renew(started, lease: 1, deadline: t + 60_000) == 0)
        #expect(try h.store.cancel(started) == .requested)
        let retried = try h.enqueue("retried") { $0.queue = "work" }
        let r = try #require(try h.fetch(["work"]))
        _ = try h.finish(retried, lease: r.lease, outcome: "retry", payload: QueueHarness.boom, retryAt: t - 1,
                         next: ["work"])
        _ = try h.recoverExpired(now: t + 3_600_000)
        _ = try h.recover(started, lease: -1)
        try h.enqueue("to-empty") { $0.queue = "scratch" }
        try h.store.empty(queue: "scratch")
        try h.store.delete(finished)
        _ = try h.store.info()
        _ = try h.store.ids(in: "failed", queue: "default")
        try h.enqueue("queued", args: #"{"x":1}"#) { $0.uniqueKey = "u-queued" }
    }

    @Test func everyKeyStartsWithTheDefaultPrefix() throws {
        let h = try QueueHarness()
        try Self.fullLifecycle(h)
        let keys = try h.allKeys()
        #expect(keys.count > 15)
        #expect(keys.filter { !$0.hasPrefix("{drover}:") } == [])
        for expected in ["{drover}:queues", "{drover}:stats:default", "{drover}:unique:u-queued"] {
            #expect(keys.contains(expected), "missing \(expected)")
        }
    }

    @Test func aCustomPrefixKeepsDeploymentsApart() throws {
        let h = try QueueHarness(prefix: "app")
        #expect(h.keys.base == "{app}:")
        try Self.fullLifecycle(h)
        let keys = try h.allKeys()
        #expect(keys.count > 15)
        #expect(keys.filter { !$0.hasPrefix("{app}:") } == [])
        #expect(keys.contains("{app}:queues"))

        // A store with the default prefix on the same server sees none of it, and its own jobs
        // stay under its own prefix.
        let other = JobStore(client: h.server.client())
        #expect(try other.info() == [])
        let id = try other.enqueue(EnqueueRequest(name: "mine")).id
        #expect(try other.job(id)?.name == "mine")
        #expect(try h.store.job(id) == nil)
        #expect(try h.store.info().map(\.name).contains("default"))
        #expect(try h.store.info().first { $0.name == "default" }?.queued == 1)
        let all = try h.allKeys()
        #expect(all.filter { !$0.hasPrefix("{app}:") && !$0.hasPrefix("{drover}:") } == [])
        #expect(all.filter { $0.hasPrefix("{drover}:") }.count >= 4)
    }
}
