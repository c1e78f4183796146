import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// Children replaced on purpose (max_jobs, memory), children that keep dying, burst mode and a
/// Redis that is not there yet, with the real binary.
@Suite("drover worker recycling and recovery", .serialized)
struct SupervisorRecyclingTests {
    @Test func maxJobsRecyclesAChildAfterThatManyJobs() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1", "--max-jobs", "2"])
        try harness.notify.await("READY=1")
        let ids = try (0..<6).map { _ in try harness.enqueue("builtin.noop") }
        var workers: [String] = []
        for id in ids {
            let job = try harness.waitFor(id, "finished") { $0.state == .finished }
            workers.append(job.worker ?? "?")
        }
        // max_jobs 2 (its jitter is a tenth: none at 2): three children, two jobs each.
        #expect(Set(workers).count == 3, "\(workers)")
        // The child said `bye` with its last `end`, so its replacement was forked before it exited.
        try master.await("recycled after 2 job(s)")
    }

    @Test func aChildOverMaxMemoryIsRecycledAfterItsJob() throws {
        let harness = try SupervisorHarness()
        let config = try harness.configFile("pools:\n  - { name: p, queues: [default], concurrency: 1, max_memory_mb: 60 }\n")
        let master = try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.allocate", args: #"{"megabytes": 100}"#)
        let job = try harness.waitFor(id, "finished") { $0.state == .finished }
        let bloated = try SupervisorHarness.childPID(of: job)
        try master.await("over max_memory_mb 60")
        try harness.waitUntilGone(bloated)
        let next = try harness.enqueue("builtin.noop")
        let after = try harness.waitFor(next, "finished") { $0.state == .finished }
        #expect(try SupervisorHarness.childPID(of: after) != bloated)
    }

    @Test func childrenThatKeepDyingAreRestartedWithBackoff() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let started = ContinuousClock.now
        let ids = try (0..<5).map { _ in try harness.enqueue("builtin.crash") { $0.maxAttempts = 1 } }
        for id in ids {
            let job = try harness.waitFor(id, "failed") { $0.state == .failed }
            #expect(job.error?.type == "Crash")
            #expect(job.error?.signal == "KILL")
        }
        let elapsed = ContinuousClock.now - started
        print("5 poison jobs, each killing its child: \(elapsed) (backoff 0 + 100 + 200 + 400 ms)")
        #expect(elapsed >= .milliseconds(700))
        try master.await("children died young in a row")
        try harness.notify.await("STATUS=")
        #expect(harness.notify.messages.contains { $0.contains("crash-looping: default") }, "\(harness.notify.messages)")

        // Issue 15, item 13: once the pool serves again, STATUS= stops saying crash-looping.
        let next = try harness.enqueue("builtin.noop")
        try harness.waitFor(next, "finished") { $0.state == .finished }
        var status = try harness.notify.await("STATUS=")
        while status.contains("crash-looping") { status = try harness.notify.await("STATUS=") }
        #expect(!status.contains("crash-looping"), "\(status)")
    }

    @Test func burstProcessesTheQueueThenExitsZero() throws {
        let harness = try SupervisorHarness()
        let ids = try (0..<4).map { _ in try harness.enqueue("builtin.noop") }
        let master = try harness.start(["--concurrency", "2", "--burst"])
        #expect(master.waitForExit() == .exited(0))
        harness.master = nil
        for id in ids { #expect(try harness.store.job(id)?.state == .finished) }
    }

    @Test func readyWaitsForRedisAndStatusSaysWhy() throws {
        let harness = try SupervisorHarness()
        harness.server.stop()
        try harness.start(["--concurrency", "1"])
        try harness.notify.await("STATUS=", timeout: .seconds(10))
        #expect(harness.notify.messages.contains { $0.contains("Redis unavailable") }, "\(harness.notify.messages)")
        #expect(harness.notify.index(of: "READY=1") == nil)
        try harness.server.start()
        try harness.notify.await("READY=1", timeout: .seconds(20))
    }
}
