import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// The real `drover worker` binary: real forks, real signals, a real redis-server and a real
/// notify socket. Waits are on events (notify datagrams, job states in Redis, exit statuses);
/// figures are printed so a run shows them.
///
/// Signals, recycling and stopping are in the other suites of this target. Not tested yet
/// (issue 4): a SIGKILLed master's jobs recovered by the next master (they wait for lease
/// expiry, 30 s), a Redis outage while jobs die (recoveries retried on the next PING), and the
/// 20 ms figures under load (Scripts/bench's job).
@Suite("drover worker (supervisor)", .serialized)
struct SupervisorProcessTests {
    @Test func readyArrivesOnceChildrenAreUpAndJobsAreProcessed() throws {
        let harness = try SupervisorHarness()
        try harness.start(["--concurrency", "2"])
        let ready = try harness.notify.await("READY=1")
        // The READY message carries the status: both children up (idle), Redis answered.
        #expect(ready.contains("STATUS=0 busy, 2 idle"), "\(ready)")
        #expect(ready.contains("Redis ok"))
        let ids = try (0..<3).map { _ in try harness.enqueue("builtin.noop") }
        for id in ids {
            try harness.waitFor(id, "finished") { $0.state == .finished }
        }
    }

    @Test func aChildKilledMidJobHasItsJobRequeuedAtOnceAndRunByItsReplacement() throws {
        let harness = try SupervisorHarness()
        try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 1.5}"#)
        let running = try harness.waitFor(id, "started") { $0.state == .started }
        try harness.awaitMasterSees(id)
        let victim = try SupervisorHarness.childPID(of: running)
        let killed = ContinuousClock.now
        try Posix.kill(victim, .kill)
        // Requeued by the master when it reaps the child, not when the 30 s lease expires.
        try harness.waitFor(id, timeout: .seconds(5), "requeued") { $0.attempt == 2 }
        let requeued = ContinuousClock.now - killed
        let rerun = try harness.waitFor(id, timeout: .seconds(5), "started again") { $0.state == .started && $0.attempt == 2 }
        let restarted = ContinuousClock.now - killed
        print("SIGKILL of a child → job requeued after \(requeued), running on the replacement after \(restarted)")
        #expect(requeued < .seconds(1))
        let replacement = try SupervisorHarness.childPID(of: rerun)
        #expect(replacement != victim)
        // Reaped: a zombie would still accept signal 0.
        #expect(throws: SystemError.self) { try Posix.kill(victim, Signal(rawValue: 0)) }
        let done = try harness.waitFor(id, "finished") { $0.state == .finished }
        #expect(done.attempt == 2)
    }

    /// An exec job's program runs in a process group of its own; past the hard limit from the
    /// config's `exec:` entry (the job sets none), the worker is killed and so is the program
    /// and what it started, not left running beside the job's next attempt.
    @Test func anExecProgramPastItsConfiguredHardLimitDiesWithItsWorker() throws {
        let harness = try SupervisorHarness()
        let pidFile = harness.notify.directory + "/program.pid"
        let config = try harness.configFile("""
        pools:
          - { name: p, queues: [default], concurrency: 1 }
        exec:
          stuck:
            command: [/bin/sh, -c, 'sleep 300 & echo $$ $! > \(pidFile); wait']
            time_limit: 1s
        """)
        try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("stuck") { $0.maxAttempts = 1 }
        try harness.waitForFile(pidFile, containing: " ")
        let pids = try String(contentsOfFile: pidFile, encoding: .utf8).split(whereSeparator: \.isWhitespace)
            .compactMap { Int32($0) }.map { ProcessID(rawValue: $0) }
        #expect(pids.count == 2)
        let failed = try harness.waitFor(id, timeout: .seconds(10), "failed") { $0.state == .failed }
        #expect(failed.error?.type == "TimeLimit", "\(String(describing: failed.error))")
        for pid in pids { try harness.waitUntilGone(pid, timeout: .seconds(5)) }
    }

    /// A one-child pool running a 30 s sleep whose hard limit is 1 s, seen started.
    private func startWithAJobPastItsHardLimit(maxAttempts: Int) throws -> (SupervisorHarness, JobID, Job) {
        let harness = try SupervisorHarness()
        try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#) { options in
            options.timeLimit = .seconds(1)
            options.maxAttempts = maxAttempts
        }
        return (harness, id, try harness.waitFor(id, "started") { $0.state == .started })
    }

    /// "The job fails with a time-limit error (retried per its policy)": with attempts left it
    /// is scheduled after its backoff (15 s ± 25 % after a first attempt), not requeued at once.
    @Test func aJobPastItsHardTimeLimitWithAttemptsLeftIsRetriedAfterItsBackoff() throws {
        let (harness, id, _) = try startWithAJobPastItsHardLimit(maxAttempts: 3)
        let retried = try harness.waitFor(id, timeout: .seconds(10), "scheduled") { $0.state == .scheduled }
        #expect(retried.error?.type == "TimeLimit", "\(String(describing: retried.error))")
        #expect(retried.attempt == 1)
        let due = try #require(retried.scheduledFor)
        let ended = try #require(retried.endedAt)
        #expect(due - ended >= 11_000 && due - ended <= 19_000, "retry in \(due - ended) ms")
    }

    @Test func aJobPastItsHardTimeLimitIsKilledAndFailedWithATimeLimitError() throws {
        let (harness, id, running) = try startWithAJobPastItsHardLimit(maxAttempts: 1)
        let victim = try SupervisorHarness.childPID(of: running)
        let failed = try harness.waitFor(id, timeout: .seconds(10), "failed") { $0.state == .failed }
        #expect(failed.error?.type == "TimeLimit", "\(String(describing: failed.error))")
        if let started = failed.startedAt, let ended = failed.endedAt {
            print("hard limit 1 s: job failed \(ended - started) ms after it started")
            #expect(ended - started < 1500)
        }
        #expect(throws: SystemError.self) { try Posix.kill(victim, Signal(rawValue: 0)) }
        // The pool is whole again: the replacement serves.
        let next = try harness.enqueue("builtin.noop")
        try harness.waitFor(next, "finished") { $0.state == .finished }
    }

    /// A limit of 3 s or more does not wake the master at the job's start (`MasterChannel`): it
    /// reads the start line at its next regular wake-up, up to a second later, and still kills
    /// on time, counting from the start instant the line carries.
    @Test func aLongHardLimitReadWithoutAWakeUpStillKillsOnTime() throws {
        let harness = try SupervisorHarness()
        try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#) { options in
            options.timeLimit = TimeSpan(milliseconds: 3_500)
            options.maxAttempts = 1
        }
        let failed = try harness.waitFor(id, timeout: .seconds(15), "failed") { $0.state == .failed }
        #expect(failed.error?.type == "TimeLimit", "\(String(describing: failed.error))")
        if let started = failed.startedAt, let ended = failed.endedAt {
            print("hard limit 3.5 s, start line read lazily: job failed \(ended - started) ms after it started")
            #expect(ended - started >= 3_500)
            #expect(ended - started < 4_000)
        }
    }

    @Test func aJobPastItsSoftTimeLimitIsCancelledByUsr1AndItsChildLives() throws {
        let harness = try SupervisorHarness()
        try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#) { options in
            options.softTimeLimit = TimeSpan(milliseconds: 500)
            options.maxAttempts = 1
        }
        let running = try harness.waitFor(id, "started") { $0.state == .started }
        let child = try SupervisorHarness.childPID(of: running)
        let failed = try harness.waitFor(id, timeout: .seconds(10), "failed") { $0.state == .failed }
        #expect(failed.error?.type == "TimeLimit", "\(String(describing: failed.error))")
        if let started = failed.startedAt, let ended = failed.endedAt {
            print("soft limit 500 ms: job cancelled \(ended - started) ms after it started")
        }
        // The master only asked: the same child serves the next job.
        let next = try harness.enqueue("builtin.noop")
        let done = try harness.waitFor(next, "finished") { $0.state == .finished }
        #expect(try SupervisorHarness.childPID(of: done) == child)
    }

    @Test func termLetsTheRunningJobFinishThenExitsZeroAfterStopping() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 1}"#)
        try harness.waitFor(id, "started") { $0.state == .started }
        master.send(.term)
        let status = master.waitForExit()
        harness.master = nil
        #expect(status == .exited(0), "\(master.drain())")
        #expect(try harness.store.job(id)?.state == .finished)
        let stoppingMessage = try harness.notify.await("STOPPING=1", timeout: .seconds(2))
        // Jobs may drain for the whole graceful timeout (30 s) plus a 5 s margin.
        #expect(stoppingMessage.contains("EXTEND_TIMEOUT_USEC=35000000"), "\(stoppingMessage)")
        let ready = try #require(harness.notify.index(of: "READY=1"))
        let stopping = try #require(harness.notify.index(of: "STOPPING=1"))
        #expect(ready < stopping)
    }
}
