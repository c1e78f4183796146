import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// Retention (issue 5): finished, failed and canceled jobs expire after their TTLs, and every
/// registry and index lets go of them, so Redis returns to the key count it had before.
@Suite(.serialized) struct RetentionTests {
    /// Enqueues `count` jobs of each kind on queue `r`: plain no-ops, permanent failures, and
    /// delayed jobs that are canceled before they run; all with a 1 s TTL.
    func enqueueMix(_ h: SchedulerHarness, count: Int) throws -> (ran: [JobID], canceled: [JobID]) {
        var requests: [EnqueueRequest] = []
        func options(delayed: Bool = false) -> JobOptions {
            var options = JobOptions()
            options.queue = "r"
            options.resultTTL = .seconds(1)
            options.failureTTL = .seconds(1)
            if delayed { options.runAt = Timestamp.nowMilliseconds() + 3_600_000 }
            return options
        }
        for i in 0..<count * 2 {
            requests.append(i % 2 == 0
                ? EnqueueRequest(name: "builtin.noop", options: options())
                : EnqueueRequest(name: "builtin.fail", argsJSON: #"{"message":"on purpose"}"#, options: options()))
        }
        let ran = try h.store.enqueue(requests).map(\.id)
        let delayed = try h.store.enqueue((0..<count).map { _ in EnqueueRequest(name: "builtin.noop", options: options(delayed: true)) })
        for result in delayed { _ = try h.store.cancel(result.id) }
        return (ran, delayed.map(\.id))
    }

    /// Waits until every job has ended and then until each one's record is gone.
    func awaitExpired(_ h: SchedulerHarness, _ ids: [JobID], timeout: Duration) throws {
        try h.await("\(ids.count) jobs to end", timeout: timeout) {
            try ids.allSatisfy { try h.store.job($0)?.state.isTerminal ?? true }
        }
        try h.await("\(ids.count) jobs to expire", timeout: timeout) {
            try ids.allSatisfy { try h.store.job($0) == nil }
        }
    }

    @Test func manyJobsFinishFailAndExpireAndTheKeyCountReturnsToItsBaseline() throws {
        let h = try SchedulerHarness()
        try h.startScheduler(extra: ["--sweep-interval", "0.2"])
        try h.startWorker(["r"])
        // Warm up: the keys that stay for as long as the queue is known (its counters, the set of
        // queues, the worker's own keys) exist from here on.
        let warm = try enqueueMix(h, count: 5)
        try awaitExpired(h, warm.ran + warm.canceled, timeout: .seconds(20))
        try h.await("the registries to empty after the warm-up", timeout: .seconds(10)) { try registryTotal(h) == 0 }
        let baseline = try h.allKeys()

        let batch = try enqueueMix(h, count: 1500)
        #expect(try h.dbsize() > baseline.count)
        try awaitExpired(h, batch.ran + batch.canceled, timeout: .seconds(60))
        try h.await("the registries to drop every expired id", timeout: .seconds(10)) { try registryTotal(h) == 0 }
        try h.await("the key count to return to its baseline", timeout: .seconds(10)) { try h.allKeys() == baseline }
        #expect(try h.client.command("HLEN", h.store.keys.base + "jobs").int == 0)
    }

    /// Ids left in the ended-job registries of queue `r`.
    func registryTotal(_ h: SchedulerHarness) throws -> Int {
        try ["finished", "failed", "canceled"].reduce(0) { total, state in
            total + (try h.client.command("ZCARD", h.store.keys.base + state + ":r").int ?? 0)
        }
    }
}
