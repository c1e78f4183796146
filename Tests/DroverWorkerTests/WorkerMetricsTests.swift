import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// The counts a worker writes for `/metrics` (`JobMetrics`): every run is counted once, by name
/// and outcome, with its run time and its wait in the histograms.
@Suite(.serialized) struct WorkerMetricsTests {
    @Test func aBurstWorkerCountsEveryRunByNameAndOutcomeWithTimes() throws {
        let h = try WorkerHarness()
        for _ in 0..<30 { _ = try h.enqueue("builtin.noop") }
        for _ in 0..<5 { _ = try h.enqueue("builtin.fail", args: #"{"message": "no"}"#) }
        _ = try h.enqueue("builtin.sleep", args: #"{"seconds": 0.3}"#)
        let worker = try h.worker(["--burst"])
        #expect(worker.waitForExit() == .exited(0))

        let fields = try h.metrics("default")
        #expect(fields["started builtin.noop"] == 30)
        #expect(fields["finished builtin.noop"] == 30)
        #expect(fields["started builtin.fail"] == 5)
        #expect(fields["failed builtin.fail"] == 5)
        #expect(fields["finished builtin.sleep"] == 1)
        let durations = fields.filter { $0.key.hasPrefix("duration:") }.values.reduce(0, +)
        let waits = fields.filter { $0.key.hasPrefix("wait:") }.values.reduce(0, +)
        #expect(durations == 36, "\(fields)")
        #expect(waits == 36, "every first run's wait is known: \(fields)")
        // The 0.3 s sleep lands in the bucket whose bound is 0.5 s.
        let bucket = JobMetrics.bucketBounds.firstIndex(of: 0.5)!
        #expect(fields["duration:\(bucket) builtin.sleep"] == 1, "\(fields)")
        #expect((fields["duration_us builtin.sleep"] ?? 0) >= 300_000)
    }

    @Test func bucketsAreTheFirstBoundAtOrAboveATimeAndTheLastCatchesTheRest() {
        #expect(JobMetrics.bucket(microseconds: 0) == 0)
        #expect(JobMetrics.bucket(microseconds: 5_000) == 0)
        #expect(JobMetrics.bucket(microseconds: 5_001) == 1)
        #expect(JobMetrics.bucket(microseconds: 3_600_000_000) == JobMetrics.bucketBounds.count)
        var metrics = JobMetrics()
        metrics.started(queue: "q", name: "a job", waitMicroseconds: nil)
        metrics.ended(queue: "q", name: "a job", outcome: "retried", durationMicroseconds: 20_000)
        let taken = metrics.take()
        #expect(taken["q"]?["started a job"] == 1)
        #expect(taken["q"]?["retried a job"] == 1)
        #expect(taken["q"]?.keys.contains { $0.hasPrefix("wait") } == false)
        #expect(metrics.isEmpty)
    }
}
