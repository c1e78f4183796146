import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

@Suite(.serialized) struct WorkerFailureTests {
    @Test func killedWorkersJobIsRecoveredByLeaseExpiryAndFinishedElsewhere() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.sleep", args: #"{"seconds": 1}"#)
        let first = try h.worker(["--lease", "1"])
        try h.waitFor(id) { $0.state == .started }
        first.send(.kill)
        #expect(first.waitForExit() == .signaled(.kill, coreDumped: false))
        // A second worker recovers the expired lease (it looks every half lease while idle).
        let second = try h.worker(["--lease", "1"])
        let job = try h.waitFor(id, timeout: .seconds(15)) { $0.state == .finished }
        #expect(job.attempt == 2)
        second.terminate()
    }

    @Test func lateFinisherAfterLeaseTakeoverIsDiscarded() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.sleep", args: #"{"seconds": 0.5}"#)
        let slow = try h.worker(["--lease", "1", "--name", "slow"])
        try h.waitFor(id) { $0.state == .started && $0.worker == "slow" }
        slow.send(.stop)  // frozen past its lease: its host looks gone
        let fast = try h.worker(["--lease", "5", "--name", "fast"])
        let done = try h.waitFor(id, timeout: .seconds(15)) { $0.state == .finished && $0.worker == "fast" }
        #expect(done.attempt == 2)
        let endedByFast = done.endedAt
        slow.send(.cont)
        // The thawed worker finishes its copy; its outcome must not overwrite the newer run's.
        _ = try slow.await("outcome discarded", timeout: .seconds(10))
        let after = try h.job(id)
        #expect(after.worker == "fast")
        #expect(after.endedAt == endedByFast)
        #expect(after.attempt == 2)
        slow.terminate()
        fast.terminate()
    }

    @Test func cancelOfARunningJobEndsItCanceled() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.sleep", args: #"{"seconds": 30}"#)
        let worker = try h.worker([])
        try h.waitFor(id) { $0.state == .started }
        #expect(try h.store.cancel(id) == .requested)
        let job = try h.waitFor(id, timeout: .seconds(5)) { $0.state == .canceled }
        #expect(job.error?.type == "Canceled")
        #expect(try h.store.ids(in: "canceled", queue: "default").contains(id))
        #expect(worker.terminate() == .exited(0))
    }

    @Test func termFinishesTheCurrentJobThenExits() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.sleep", args: #"{"seconds": 0.5}"#)
        let next = try h.enqueue("builtin.noop")
        let worker = try h.worker([])
        try h.waitFor(id) { $0.state == .started }
        worker.send(.term)
        #expect(worker.waitForExit() == .exited(0))
        #expect(try h.job(id).state == .finished)
        // The job after it stays queued for the next worker: nothing lost.
        #expect(try h.job(next).state == .queued)
    }

    @Test func termStopsAnIdleWorker() throws {
        let h = try WorkerHarness()
        let worker = try h.worker([])
        // Idle: blocked in Redis waiting for work. TERM must still end it promptly.
        worker.send(.term)
        #expect(worker.waitForExit() == .exited(0))
        #expect(worker.seen.contains("exiting (stopped)"))
    }

    @Test func redisDownThenBackDoesNotLoseTheJob() throws {
        let h = try WorkerHarness()
        let worker = try h.worker([])
        h.server.stop()
        try h.server.start()
        let id = try h.enqueue("builtin.noop")
        try h.waitFor(id, timeout: .seconds(15)) { $0.state == .finished }
        worker.terminate()
    }

    /// Connections dropped under a busy worker lose replies of calls that ran: each finish that
    /// took the next job and lost its reply is retried naming that call, and gets the job back.
    /// Without that, such a job waits out its 60 s lease and, with one attempt allowed, fails
    /// without ever running.
    @Test func connectionsKilledMidCallStrandNoJob() throws {
        let h = try WorkerHarness()
        let total = 3000
        var options = JobOptions()
        options.maxAttempts = 1
        _ = try h.store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop", argsJSON: "{}", options: options), count: total))
        let worker = try h.worker(["--lease", "60"])
        let client = h.store.client
        let stats = h.store.keys.stats("default")
        var kills = 0
        var lastKillAt = 0
        var ended = 0
        let deadline = ContinuousClock.now + .seconds(30)
        // Paced by the jobs done, not by time: a kill of every client but this one (the
        // worker's, and its lease keeper's) each time 25 more jobs have ended.
        while ended < total, ContinuousClock.now < deadline {
            let counts = try client.command("HMGET", stats, "finished", "failed").array ?? []
            ended = counts.compactMap(\.int).reduce(0, +)
            if ended - lastKillAt >= 25, ended < total - 200 {
                lastKillAt = ended
                kills += try client.command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes").int ?? 0
            }
            _ = worker.drain()
            usleep(1000)  // pacing only (the loop waits for counts, not for time): leaves a core to the worker and Redis
        }
        #expect(kills >= 40)
        #expect(try client.command("HGET", stats, "finished").int == total)
        #expect(try client.command("HGET", stats, "failed").int ?? 0 == 0)
        #expect(try client.command("ZCARD", h.store.keys.started("default")).int == 0)
        worker.terminate()
        // How many replies were lost after their call ran (the retry found the outcome written;
        // no lease is taken over in this test).
        let adopted = worker.seen.components(separatedBy: "outcome already written").count - 1
        print("connectionsKilledMidCallStrandNoJob: \(kills) kills, \(adopted) finishes retried after their call ran")
    }

    /// A worker that is never idle still recovers a dead host's expired lease (with no
    /// scheduler running, nothing else would while the pool is busy).
    @Test func aBusyWorkerRecoversAnExpiredLease() throws {
        let h = try WorkerHarness()
        let orphan = try h.enqueue("builtin.noop")
        // Taken by a host that then vanished, under a 1 s lease.
        _ = try #require(try h.store.fetch(FetchSpec(queues: ["default"], worker: "gone-host:1", leaseMilliseconds: 1000)))
        let work = (0..<150).map { _ in EnqueueRequest(name: "builtin.sleep", argsJSON: #"{"seconds": 0.05}"#) }
        _ = try h.store.enqueue(work)
        let worker = try h.worker(["--lease", "2"])
        let done = try h.waitFor(orphan, timeout: .seconds(6)) { $0.state == .finished }
        #expect(done.attempt == 2)
        // Still busy: most of the 7.5 s of sleeps are queued.
        #expect(try h.store.client.command("LLEN", h.store.keys.queue("default")).int ?? 0 > 50)
        worker.terminate()
    }

    /// A worker that just regained Redis after an outage recovers no expired lease for a lease
    /// (issue 15, item 15): the holders cut off with it reconnect after their own backoff, and
    /// their renewals and late finishes must get through first.
    @Test func aWorkerBackFromAnOutageWaitsALeaseBeforeItRecovers() throws {
        let h = try WorkerHarness()
        let worker = try h.worker(["--lease", "6"])
        h.server.stop()
        _ = try worker.await("reconnecting", timeout: .seconds(10))
        try h.server.start()
        let back = ContinuousClock.now
        // A run whose holder has not reconnected yet, its lease run out.
        let orphan = try h.enqueue("builtin.noop")
        _ = try #require(try h.store.fetch(FetchSpec(queues: ["default"], worker: "cut-off:1", leaseMilliseconds: 100)))
        // Without the hold it is recovered within its grace plus one recovery period (3 s).
        let job = try h.waitFor(orphan, timeout: .seconds(20)) { $0.state == .finished }
        #expect(ContinuousClock.now - back >= .seconds(5))
        #expect(job.attempt == 2)
        worker.terminate()
    }

    @Test func poisonPillStopsAfterItsAttemptsAndLandsInFailed() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.crash") { $0.maxAttempts = 2 }
        let after = try h.enqueue("builtin.noop")
        // Each worker that takes the pill dies of it; the next one recovers the expired lease.
        for _ in 0..<2 {
            let worker = try h.worker(["--lease", "1"])
            #expect(worker.waitForExit() == .signaled(.kill, coreDumped: false))
        }
        let survivor = try h.worker(["--lease", "1"])
        let job = try h.waitFor(id, timeout: .seconds(15)) { $0.state == .failed }
        #expect(job.attempt == 2)
        #expect(job.error?.type == "LeaseExpired")
        // The queue behind the pill was not blocked for good.
        try h.waitFor(after, timeout: .seconds(15)) { $0.state == .finished }
        survivor.terminate()
    }
}
