import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// The master's signals (DESIGN.md's table) and systemd messages, with the real binary.
@Suite("drover worker signals", .serialized)
struct SupervisorSignalTests {
    @Test func quitKillsChildrenAtOnceAndPutsTheirJobsBackInTheQueue() throws {
        let harness = try SupervisorHarness()
        let (master, id) = try harness.startWithALongJob()
        let sent = ContinuousClock.now
        master.send(.quit)
        #expect(master.waitForExit() == .exited(0))
        harness.master = nil
        print("QUIT with a 30 s job running: master exited after \(ContinuousClock.now - sent)")
        #expect(ContinuousClock.now - sent < .seconds(5))
        #expect(try harness.store.job(id)?.state == .queued)
    }

    /// TERM while children run through a backlog: a child's last finish may already have taken
    /// its next job; that job goes back to the queue, not left `started` until its lease expires.
    @Test func termWhileBusyLeavesNoJobTakenButNotRun() throws {
        let harness = try SupervisorHarness()
        // Info logs: a debug line per job would fill the output pipe this test does not read.
        let master = try harness.start(["--concurrency", "2", "--log-level", "info"])
        try harness.notify.await("READY=1")
        let ids = try harness.store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop"), count: 1_000)).map(\.id)
        _ = try harness.waitFor(ids[0], "finished") { $0.state == .finished }
        master.send(.term)
        #expect(master.waitForExit() == .exited(0))
        harness.master = nil
        let counts = try #require(try harness.store.info().first { $0.name == "default" })
        #expect(counts.started == 0, "\(counts)")
        #expect(counts.queued + counts.finished == ids.count, "\(counts)")
        for id in ids.prefix(200) {
            let job = try #require(try harness.store.job(id))
            #expect(job.state == .finished || (job.state == .queued && job.attempt == 0), "\(id): \(job.state) attempt \(job.attempt)")
        }
    }

    @Test func hupAppliesANewPoolSizeAndRejectsABrokenFile() throws {
        let harness = try SupervisorHarness()
        let config = try harness.configFile("pools:\n  - { name: p, queues: [default], concurrency: 1 }\n")
        let master = try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        try "pools:\n  - { name: p, queues: [default], concurrency: 3 }\n".write(toFile: config, atomically: true, encoding: .utf8)
        master.send(.hup)
        try harness.notify.await("RELOADING=1")
        let ready = try harness.notify.await("READY=1")
        #expect(ready.contains("STATUS=0 busy, 3 idle"), "\(ready)")

        try "pools:\n  - { name: p, queues: [default], concurrency: zero }\n".write(toFile: config, atomically: true, encoding: .utf8)
        master.send(.hup)
        try harness.notify.await("RELOADING=1")
        let rejected = try harness.notify.await("READY=1")
        #expect(rejected.contains("reload rejected"), "\(rejected)")
        try master.await("keeping the running one")
        let id = try harness.enqueue("builtin.noop")
        try harness.waitFor(id, "finished") { $0.state == .finished }
    }

    @Test func hupWhileAJobRunsLetsItFinishInItsOldChildAndLosesNoJob() throws {
        let harness = try SupervisorHarness()
        let config = try harness.configFile("pools:\n  - { name: p, queues: [default], concurrency: 1 }\n")
        let master = try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        let running = try harness.enqueue("builtin.sleep", args: #"{"seconds": 1.5}"#)
        try master.await("started job \(running)")
        try "pools:\n  - { name: p, queues: [default], concurrency: 2 }\n".write(toFile: config, atomically: true, encoding: .utf8)
        master.send(.hup)
        try harness.notify.await("RELOADING=1")
        // Jobs enqueued around the reload, while the old child drains and new ones start.
        let during = try (0..<50).map { _ in try harness.enqueue("builtin.noop") }
        for id in during + [running] {
            _ = try harness.waitFor(id, "finished") { $0.state == .finished }
        }
        let job = try #require(try harness.store.job(running))
        #expect(job.attempt == 1, "the running job was not interrupted and run again")
        #expect(job.error == nil)
    }

    @Test func ttinAndTtouAddAndRemoveOneChildPerPool() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "2"])
        try harness.notify.await("READY=1")
        master.send(.ttin)
        try harness.notify.await("STATUS=0 busy, 3 idle;")
        master.send(.ttou)
        try harness.notify.await("STATUS=0 busy, 2 idle;")
    }

    @Test func watchdogIsFedAtHalfOfWatchdogUsec() throws {
        let harness = try SupervisorHarness()
        harness.extraEnvironment["WATCHDOG_USEC"] = "200000"
        try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        try harness.notify.await("WATCHDOG=1")
        let first = ContinuousClock.now
        for _ in 0..<5 { try harness.notify.await("WATCHDOG=1", timeout: .seconds(2)) }
        let each = (ContinuousClock.now - first) / 5
        print("WATCHDOG=1 every \(each) with WATCHDOG_USEC=200000")
        #expect(each > .milliseconds(80) && each < .milliseconds(160))
    }

    @Test func usr1ReopensTheLogFileAfterARotation() throws {
        let harness = try SupervisorHarness()
        let log = harness.notify.directory + "/drover.log"
        let master = try harness.start(["--concurrency", "1", "--logfile", log])
        try harness.notify.await("READY=1")
        try harness.waitForFile(log, containing: "ready")
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        master.send(.usr1)
        try harness.waitForFile(log, containing: "log files reopened")
        let rotated = try String(contentsOfFile: log + ".1", encoding: .utf8)
        #expect(rotated.contains("ready"))
        #expect(!rotated.contains("log files reopened"))
    }
}
