import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// The master's signals (the README's signal table) and systemd messages, with the real binary.
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

    /// A HUP with a broken file before the service was ever ready (Redis down here) must not
    /// send READY=1: systemd would take the service for ready.
    @Test func aRejectedReloadBeforeReadySendsNoReady() throws {
        let harness = try SupervisorHarness()
        let config = try harness.configFile("pools:\n  - { name: p, queues: [default], concurrency: 1 }\n")
        harness.server.stop()
        let master = try harness.start(["--config", config])
        try harness.notify.await("STATUS=", timeout: .seconds(10))
        #expect(harness.notify.messages.contains { $0.contains("Redis unavailable") }, "\(harness.notify.messages)")
        try "pools: [ broken\n".write(toFile: config, atomically: true, encoding: .utf8)
        master.send(.hup)
        let rejected = try harness.notify.await("STATUS=reload rejected")
        #expect(!rejected.contains("READY=1"), "\(rejected)")
        #expect(harness.notify.index(of: "READY=1") == nil, "\(harness.notify.messages)")
        #expect(harness.notify.index(of: "RELOADING=1") == nil, "\(harness.notify.messages)")
        // Once Redis answers, READY=1 comes as usual.
        try harness.server.start()
        try harness.notify.await("READY=1", timeout: .seconds(20))
    }

    /// The redis section is the master's own connection and the prefix of everything: a HUP
    /// that changes it is refused (the old config keeps running), not half-applied.
    @Test func aReloadThatChangesTheRedisSectionIsRefused() throws {
        let harness = try SupervisorHarness()
        let config = try harness.configFile("redis: { prefix: drover }\npools:\n  - { name: p, queues: [default], concurrency: 1 }\n")
        let master = try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        try "redis: { prefix: other }\npools:\n  - { name: p, queues: [default], concurrency: 2 }\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        master.send(.hup)
        try harness.notify.await("RELOADING=1")
        let rejected = try harness.notify.await("STATUS=reload rejected")
        #expect(rejected.contains("READY=1") && rejected.contains("restart needed"), "\(rejected)")
        try master.await("takes effect only on a restart")
        // Still one child, on the old prefix.
        let id = try harness.enqueue("builtin.noop")
        try harness.waitFor(id, "finished") { $0.state == .finished }
        #expect(rejected.contains("0 busy, 1 idle"), "\(rejected)")
    }

    /// While a warm stop waits for a job, the master sleeps in its loop: it used to spin at
    /// 100 % CPU until the job ended (its STATUS= and watchdog timers stopped moving forward).
    @Test func theMasterSleepsWhileAWarmStopDrains() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 3}"#)
        try harness.waitFor(id, "started") { $0.state == .started }
        master.send(.term)
        try harness.notify.await("STOPPING=1")
        let before = try Self.cpuTicks(master.pid)
        usleep(1_000_000)  // a measuring window, not a synchronisation
        let used = try Self.cpuTicks(master.pid) - before
        #expect(used < 20, "the master used \(used) clock ticks of CPU in one second of draining")
        #expect(master.waitForExit() == .exited(0))
        harness.master = nil
    }

    /// utime + stime of a process, in clock ticks (proc(5)).
    static func cpuTicks(_ pid: ProcessID) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15.
        return try #require(Int(fields[11])) + #require(Int(fields[12]))
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

    /// A step a pool cannot take (TTOU on a one-child pool) is not owed back: pools of 3 and 1,
    /// then TTOU, TTOU, TTIN, give 2 and 2.
    @Test func ttouOnAOneChildPoolIsNotOwedBack() throws {
        let harness = try SupervisorHarness()
        let config = try harness.configFile("""
        pools:
          - { name: big, queues: [default], concurrency: 3 }
          - { name: small, queues: [other], concurrency: 1 }
        """)
        let master = try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        master.send(.ttou)
        try harness.notify.await("STATUS=0 busy, 3 idle;")
        master.send(.ttou)
        try harness.notify.await("STATUS=0 busy, 2 idle;")
        master.send(.ttin)
        try harness.notify.await("STATUS=0 busy, 4 idle;")
        try master.await("TTIN: big [default] ×2; small [other] ×2")
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
