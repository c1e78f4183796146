import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

@Suite(.serialized) struct WorkerOutcomeTests {
    @Test func everyOutcomeIsRecordedAndEveryJobEndsOnce() throws {
        let h = try WorkerHarness()
        let ok = try h.enqueue("builtin.sleep", args: #"{"seconds": 0.01}"#)
        let permanent = try h.enqueue("builtin.fail", args: #"{"message": "boom"}"#)
        let unknown = try h.enqueue("no.such.job")
        let badArgs = try h.enqueue("builtin.sleep", args: #"{"secs": 1}"#)
        let progress = try h.enqueue("builtin.progress", args: #"{"steps": 2, "seconds": 0.02}"#)
        var noops: [JobID] = []
        for _ in 0..<50 { noops.append(try h.enqueue("builtin.noop")) }
        let worker = try h.worker(["--burst"])
        #expect(worker.waitForExit() == .exited(0))

        let finished = try h.job(ok)
        #expect(finished.state == .finished)
        #expect(finished.resultJSON == "0.01")
        #expect(finished.attempt == 1)
        #expect(finished.startedAt != nil && finished.endedAt != nil)

        let failed = try h.job(permanent)
        #expect(failed.state == .failed)
        #expect(failed.error?.type == "PermanentFailure")
        #expect(failed.error?.message == "boom")

        let unknownJob = try h.job(unknown)
        #expect(unknownJob.state == .failed)
        #expect(unknownJob.error?.type == "UnknownJob")
        #expect(unknownJob.error?.message.contains("no.such.job") == true)

        let bad = try h.job(badArgs)
        #expect(bad.state == .failed)
        #expect(bad.error?.type == "BadArguments")
        #expect(bad.error?.message.contains("seconds") == true)

        let withProgress = try h.job(progress)
        #expect(withProgress.state == .finished)
        #expect(withProgress.progress == 100)

        for id in noops { #expect(try h.job(id).state == .finished) }
        let counts = try #require(try h.store.info().first { $0.name == "default" })
        #expect(counts.finished == 52)
        #expect(counts.failed == 3)
        #expect(counts.queued == 0 && counts.started == 0 && counts.scheduled == 0)
    }

    @Test func retryableErrorIsScheduledWithBackoff() throws {
        let h = try WorkerHarness()
        // builtin.crash with an unknown signal number is not a crash: use a handler error that
        // is retryable instead: BadArguments is permanent, so use a sleep interrupted by a soft
        // limit (a TimeLimit error, retried per policy).
        let id = try h.enqueue("builtin.sleep", args: #"{"seconds": 5}"#) {
            $0.softTimeLimit = TimeSpan(milliseconds: 100)
            $0.timeLimit = TimeSpan.seconds(10)
            $0.maxAttempts = 3
            $0.backoff = Backoff(base: .seconds(60), factor: 2, cap: .hours(1), jitter: 0)
        }
        let before = Timestamp.nowMilliseconds()
        let worker = try h.worker(["--burst"])
        #expect(worker.waitForExit() == .exited(0))
        let job = try h.job(id)
        #expect(job.state == .scheduled)
        #expect(job.attempt == 1)
        #expect(job.error?.type == "TimeLimit")
        let due = try #require(job.scheduledFor)
        #expect(due >= before + 60_000 && due <= Timestamp.nowMilliseconds() + 60_000)
    }

    @Test func lastAttemptFailsForGood() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.sleep", args: #"{"seconds": 5}"#) {
            $0.softTimeLimit = TimeSpan(milliseconds: 50)
            $0.timeLimit = TimeSpan.seconds(10)
            $0.maxAttempts = 1
        }
        let worker = try h.worker(["--burst"])
        #expect(worker.waitForExit() == .exited(0))
        let job = try h.job(id)
        #expect(job.state == .failed)
        #expect(job.error?.type == "TimeLimit")
        #expect(try h.store.ids(in: "failed", queue: "default") == [id])
    }

    @Test func progressIsVisibleFromAnotherConnectionWhileTheJobRuns() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.progress", args: #"{"steps": 4, "seconds": 2}"#)
        let worker = try h.worker([])
        let running = try h.waitFor(id) { $0.state == .started && ($0.progress ?? 0) > 0 && ($0.progress ?? 0) < 100 }
        #expect(running.progressNote?.contains("step") == true)
        try h.waitFor(id) { $0.state == .finished }
        worker.terminate()
    }

    @Test func idleWorkerPicksUpANewJobWithoutPolling() throws {
        let h = try WorkerHarness()
        let worker = try h.worker([])
        // The worker is blocked in BLPOP: a job enqueued now starts at once.
        let id = try h.enqueue("builtin.noop")
        let job = try h.waitFor(id, timeout: .seconds(2)) { $0.state == .finished }
        let latency = (job.startedAt ?? 0) - (job.enqueuedAt ?? 0)
        #expect(latency < 200)  // generous: the benchmark measures the real figure
        #expect(worker.terminate() == .exited(0))
    }

    @Test func strictQueueOrder() throws {
        let h = try WorkerHarness()
        let low = try h.enqueue("builtin.noop") { $0.queue = "low" }
        let high = try h.enqueue("builtin.noop") { $0.queue = "high" }
        let worker = try h.worker(["high", "low", "--burst"])
        #expect(worker.waitForExit() == .exited(0))
        let a = try h.job(high)
        let b = try h.job(low)
        #expect((a.startedAt ?? .max) <= (b.startedAt ?? 0))
    }
}

/// A cancel that comes after the soft limit of a handler that ignores both.
@Suite struct CancelAfterSoftLimitTests {
    @Test func aCancelAfterTheSoftLimitStillEndsAStuckJob() throws {
        let h = try WorkerHarness()
        let id = try h.enqueue("builtin.spin", args: #"{"seconds": 60}"#) {
            $0.softTimeLimit = TimeSpan(milliseconds: 100)
            $0.maxAttempts = 1
        }
        let worker = try h.worker([])
        defer { worker.terminate(signal: .kill) }
        let started = try h.waitFor(id) { $0.state == .started }
        // Past the soft limit (which the spinning handler ignores) before the cancel comes.
        let startedAt = try #require(started.startedAt)
        while WallClock.nowMilliseconds() < startedAt + 400 { usleep(10_000) }
        #expect(try h.store.cancel(id) == .requested)
        // The cancel's grace (5 s) runs out: the job is recorded canceled and the process ends.
        let job = try h.waitFor(id, timeout: .seconds(15)) { $0.state == .canceled }
        #expect(job.error?.type == "Canceled", "\(String(describing: job.error))")
        #expect(worker.waitForExit() == .exited(75))
    }
}

/// Issue 15, item 2: `builtin.allocate` with 0, a negative or a huge count trapped the worker on
/// every attempt; a bad argument fails its job for good and the worker goes on.
@Suite(.serialized) struct BuiltinArgumentTests {
    @Test func allocateOutsideItsRangeFailsTheJobForGood() throws {
        let h = try WorkerHarness()
        let bad = try [0, -1, 1 << 44, Int.max].map { try h.enqueue("builtin.allocate", args: #"{"megabytes": \#($0)}"#) }
        let good = try h.enqueue("builtin.allocate", args: #"{"megabytes": 1}"#)
        let worker = try h.worker(["--burst"])
        #expect(worker.waitForExit() == .exited(0))
        for id in bad {
            let job = try h.job(id)
            #expect(job.state == .failed)
            #expect(job.error?.type == "PermanentFailure", "\(String(describing: job.error))")
            #expect(job.error?.message.contains("megabytes must be 1 to 65536") == true)
            #expect(job.attempt == 1)
        }
        #expect(try h.job(good).state == .finished)
    }
}
