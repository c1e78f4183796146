import DroverQueue
import Testing
@testable import DroverWeb

/// The workers' counts as Prometheus text: cumulative buckets, sums in seconds, escaped labels.
struct JobMetricsTextTests {
    @Test func histogramsAreCumulativeWithSumAndCountAndLabelsAreEscaped() {
        let name = #"say "hi"\now"#
        let text = JobMetricsText.render(["mail": [
            "enqueued \(name)": 4, "started \(name)": 3, "finished \(name)": 2, "failed \(name)": 1,
            "duration:0 \(name)": 1, "duration:3 \(name)": 2, "duration_us \(name)": 90_000,
            "wait:\(JobMetrics.bucketBounds.count) \(name)": 3, "wait_us \(name)": 7_200_000_000,
        ]])
        let labels = #"queue="mail",job="say \"hi\"\\now""#
        #expect(text.contains("# TYPE drover_job_enqueued_total counter\ndrover_job_enqueued_total{\(labels)} 4\n"))
        #expect(text.contains("# TYPE drover_job_runs_started_total counter\ndrover_job_runs_started_total{\(labels)} 3\n"))
        #expect(text.contains("drover_job_runs_ended_total{\(labels),outcome=\"finished\"} 2\n"))
        #expect(text.contains("drover_job_runs_ended_total{\(labels),outcome=\"failed\"} 1\n"))
        #expect(text.contains("# TYPE drover_job_duration_seconds histogram\n"))
        #expect(text.contains("drover_job_duration_seconds_bucket{\(labels),le=\"0.005\"} 1\n"))
        #expect(text.contains("drover_job_duration_seconds_bucket{\(labels),le=\"0.025\"} 1\n"))
        #expect(text.contains("drover_job_duration_seconds_bucket{\(labels),le=\"0.05\"} 3\n"))
        #expect(text.contains("drover_job_duration_seconds_bucket{\(labels),le=\"+Inf\"} 3\n"))
        #expect(text.contains("drover_job_duration_seconds_sum{\(labels)} 0.09\n"))
        #expect(text.contains("drover_job_duration_seconds_count{\(labels)} 3\n"))
        #expect(text.contains("drover_job_wait_seconds_bucket{\(labels),le=\"1800.0\"} 0\n"))
        #expect(text.contains("drover_job_wait_seconds_count{\(labels)} 3\n"))
        #expect(JobMetricsText.render([:]).isEmpty)
    }
}
