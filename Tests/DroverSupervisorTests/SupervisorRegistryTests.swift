import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// The master's record in Redis, its counters, and `drover control` reaching it.
@Suite struct SupervisorRegistryTests {
    /// Polls the registry (a Redis event the test cannot subscribe to) until `condition` holds.
    @discardableResult
    func awaitRecord(_ harness: SupervisorHarness, _ what: String, timeout: Duration = .seconds(10),
                     _ condition: (SupervisorRecord) -> Bool) throws -> SupervisorRecord {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let record = try harness.store.supervisors().first(where: condition) { return record }
            if ContinuousClock.now > deadline {
                throw TestFixtureError("no supervisor record with \(what) within \(timeout): \(try harness.store.supervisors())")
            }
            usleep(10_000)
        }
    }

    @Test func recordShowsChildrenAndTheJobTheyRun() throws {
        let harness = try SupervisorHarness()
        let (master, id) = try harness.startWithALongJob()
        let record = try awaitRecord(harness, "a busy child") { $0.children.contains { $0.state == "busy" } }
        #expect(record.pid == master.pid.rawValue)
        #expect(record.id.hasSuffix(":\(master.pid.rawValue)"))
        #expect(record.pools == [SupervisorRecord.Pool(name: "default", queues: ["default"], concurrency: 1)])
        let child = try #require(record.children.first)
        #expect(child.jobID == "\(id)")
        #expect(child.role == "worker" && child.pool == "default")
        #expect((child.rssBytes ?? 0) > 1 << 20)
        #expect(try #require(child.jobStartedAt) >= record.startedAt)

        // A clean exit takes the record away.
        master.send(.quit)
        #expect(master.waitForExit() == .exited(0))
        #expect(try harness.store.supervisors().isEmpty)
    }

    @Test func controlScalesAPoolAndShutsTheMasterDown() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let record = try awaitRecord(harness, "one idle child") { $0.children.count == 1 }
        try harness.store.send(.scale(pool: "default", delta: 2), toSupervisor: record.id)
        try harness.notify.await("STATUS=0 busy, 3 idle;")
        try awaitRecord(harness, "concurrency 3") { $0.pools.first?.concurrency == 3 }
        try harness.store.send(.scale(pool: "default", delta: -5), toSupervisor: record.id)
        try harness.notify.await("STATUS=0 busy, 1 idle;")
        try harness.store.send(.shutdown, toSupervisor: record.id)
        try harness.notify.await("STOPPING=1")
        #expect(master.waitForExit() == .exited(0))
    }

    @Test func aCrashAndAHardLimitKillAreCountedInRedis() throws {
        let harness = try SupervisorHarness()
        try harness.start(["--concurrency", "2"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#)
        let job = try harness.waitFor(id, "started") { $0.state == .started }
        try Posix.kill(try SupervisorHarness.childPID(of: job), .kill)
        let limited = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#) {
            $0.timeLimit = TimeSpan(milliseconds: 300)
            $0.maxAttempts = 1
        }
        try harness.waitFor(limited, "failed by its time limit") { $0.error?.type == "TimeLimit" }
        let deadline = ContinuousClock.now + .seconds(5)
        var counters: [SupervisorCounter] = []
        while ContinuousClock.now < deadline {
            counters = try harness.store.supervisorCounters()
            if counters.contains(where: { $0.name == "hard_limit_kills" }) { break }
            usleep(10_000)
        }
        #expect(counters.contains(SupervisorCounter(name: "child_restarts", pool: "default", value: 1)))
        #expect(counters.contains(SupervisorCounter(name: "hard_limit_kills", pool: "default", value: 1)))
    }
}
