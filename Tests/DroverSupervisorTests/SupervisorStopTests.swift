import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// How a master's end reaches its children, with the real binary.
@Suite("drover worker stopping", .serialized)
struct SupervisorStopTests {
    @Test func aSecondTermStopsCold() throws {
        let harness = try SupervisorHarness()
        let (master, id) = try harness.startWithALongJob()
        master.send(.term)
        try harness.notify.await("STOPPING=1")
        master.send(.term)
        #expect(master.waitForExit() == .exited(0))
        harness.master = nil
        #expect(try harness.store.job(id)?.state == .queued)
    }

    /// A cold stop kills busy children, most often between the finish that took a child's
    /// next job and the `start` line naming it. The master gets those jobs back by the `fetch`
    /// lines' clocks, so none waits out its lease (here a minute) with an attempt counted.
    /// (Two attempts: a job that was really running when the KILL came is requeued with its
    /// attempt counted, as a cold stop does.)
    @Test func aColdStopOfABusyPoolStrandsNoJob() throws {
        let harness = try SupervisorHarness()
        var options = JobOptions()
        options.maxAttempts = 2
        let total = 20_000
        _ = try harness.store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop", argsJSON: "{}", options: options), count: total))
        let client = harness.store.client
        let stats = harness.store.keys.stats("default")
        var released = 0
        for round in 1...3 {
            let master = try harness.start(["--concurrency", "2", "--lease", "60"])
            try harness.notify.await("READY=1")
            let before = try client.command("HGET", stats, "finished").int ?? 0
            // Busy for a few hundred jobs (the master's debug log read as it goes).
            while (try client.command("HGET", stats, "finished").int ?? 0) < before + 300 {
                _ = master.drain()
                usleep(1000)
            }
            master.send(.quit)
            #expect(master.waitForExit() == .exited(0), "round \(round)")
            harness.master = nil
            released += master.seen.components(separatedBy: "is back in its queue").count - 1
            #expect(try client.command("ZCARD", harness.store.keys.started("default")).int == 0, "round \(round)")
        }
        #expect(try client.command("HGET", stats, "failed").int ?? 0 == 0)
        let finished = try client.command("HGET", stats, "finished").int ?? 0
        #expect(finished + (try client.command("LLEN", harness.store.keys.queue("default")).int ?? 0) == total)
        print("aColdStopOfABusyPoolStrandsNoJob: \(released) fetched jobs given back over 3 cold stops")
    }

    @Test func aWarmStopStillEnforcesTheHardLimitOfADrainingJob() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#) { options in
            options.timeLimit = .seconds(1)
            options.maxAttempts = 1
        }
        try harness.waitFor(id, "started") { $0.state == .started }
        try harness.awaitMasterSees(id)
        master.send(.term)
        #expect(master.waitForExit() == .exited(0))
        harness.master = nil
        let job = try #require(try harness.store.job(id))
        #expect(job.state == .failed)
        #expect(job.error?.type == "TimeLimit")
        // The master logs how late its kill was, on its own monotonic clock.
        let line = try #require(master.seen.split(separator: "\n").first { $0.contains("passed its time limit") })
        let late = try #require(line.split(separator: "(").last?.split(separator: " ").first.flatMap { Double($0) })
        print("warm stop, 1 s hard limit: the kill came \(late * 1000) ms late")
        #expect(late < 0.2, "\(line)")
    }

    @Test func childrenDieWithAKilledMaster() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "2"])
        try harness.notify.await("READY=1")
        let listing = try String(contentsOfFile: "/proc/\(master.pid)/task/\(master.pid)/children", encoding: .utf8)
        let children = listing.split(separator: " ").compactMap { Int32($0) }.map { ProcessID($0) }
        #expect(children.count == 2, "\(listing)")
        let killed = ContinuousClock.now
        master.send(.kill)
        _ = master.waitForExit()
        harness.master = nil
        // PR_SET_PDEATHSIG(KILL): the kernel kills them as the master dies.
        for child in children {
            let deadline = ContinuousClock.now + .seconds(1)
            while !SupervisorHarness.hasExited(child) {
                if ContinuousClock.now > deadline { Issue.record("child \(child) outlived its master by 1 s"); break }
                usleep(1000)
            }
        }
        print("master SIGKILLed: its children gone after \(ContinuousClock.now - killed)")
    }

    @Test func theJobsOfAKilledMasterAreRecoveredByTheNextOneWhenTheirLeaseExpires() throws {
        let harness = try SupervisorHarness()
        let first = try harness.start(["--concurrency", "1", "--lease", "2"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#)
        try harness.waitFor(id, "started") { $0.state == .started }
        first.send(.kill)
        _ = first.waitForExit()
        let killed = ContinuousClock.now
        try harness.start(["--concurrency", "1", "--lease", "2"])
        try harness.notify.await("READY=1")
        // Nobody saw the children die: the lease (2 s) runs out, and an idle child of the new
        // master recovers the job, which it then runs again.
        try harness.waitFor(id, timeout: .seconds(15), "running again") { $0.state == .started && $0.attempt == 2 }
        print("master SIGKILLed mid-job: the next master's child runs the job again after \(ContinuousClock.now - killed)")
    }
}

/// A child that stops answering, with the real binary.
@Suite("drover worker hung children", .serialized)
struct SupervisorHungChildTests {
    @Test func anIdleChildThatStopsBeatingIsKilledAndReplaced() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1", "--hung-timeout", "2"])
        try harness.notify.await("READY=1")
        let listing = try String(contentsOfFile: "/proc/\(master.pid)/task/\(master.pid)/children", encoding: .utf8)
        let child = try #require(listing.split(separator: " ").compactMap { Int32($0) }.first.map { ProcessID($0) })
        // SIGSTOP: the process lives but says nothing, as a wedged one would.
        try Posix.kill(child, .stop)
        try master.await("killing it as hung", timeout: .seconds(10))
        try harness.waitUntilGone(child)
        let id = try harness.enqueue("builtin.noop")
        let job = try harness.waitFor(id, "finished") { $0.state == .finished }
        #expect(try SupervisorHarness.childPID(of: job) != child)
    }
}
