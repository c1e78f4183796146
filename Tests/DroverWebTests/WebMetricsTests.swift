import DroverCore
import DroverQueue
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Testing

/// `/metrics` reads its numbers from Redis on every scrape, so two servers (or a restarted one)
/// report the same totals.
@Suite(.serialized)
struct WebMetricsTests {
    /// The samples of a scrape: `name{labels}` → value.
    static func samples(_ text: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw TestFixtureError("not a sample line: \(line)")
            }
            out[String(line[..<space])] = value
        }
        return out
    }

    @Test func queueCountersDepthAgeChildrenAndSupervisorCountersAreExported() async throws {
        try await WebHarness.with { web in
            try web.enqueue(queue: "mail")
            try web.enqueue(queue: "mail")
            try web.failed(queue: "mail")
            try web.finished(queue: "mail")
            try web.finished(queue: "mail")
            try web.enqueue(queue: "mail") { $0.runAt = Timestamp.nowMilliseconds() + 60_000 }
            let now = Timestamp.nowMilliseconds()
            let record = SupervisorRecord(
                id: "h:1", host: "h", pid: 1, name: nil, startedAt: now, heartbeatAt: now, status: "", jobsDone: 0,
                pools: [.init(name: "default", queues: ["mail"], concurrency: 3)],
                children: [.init(pid: 2, pool: "default", role: "worker", state: "busy", startedAt: now),
                           .init(pid: 3, pool: "default", role: "worker", state: "idle", startedAt: now),
                           .init(pid: 4, pool: "default", role: "worker", state: "idle", startedAt: now)])
            _ = try web.store.publish(record, increments: [.init(name: "child_restarts", pool: "default", value: 3),
                                                           .init(name: "hard_limit_kills", pool: "default", value: 1)], now: now)
            // What workers write about once a second (JobMetrics): two runs of `report`.
            try web.store.addMetrics(["mail": ["started report": 2, "finished report": 2, "duration:2 report": 2,
                                               "duration_us report": 30_000, "wait:0 report": 2, "wait_us report": 4_000]])
            let reply = try await web.api.get("/metrics")
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let samples = try Self.samples(reply.body)
            #expect(samples[#"drover_job_runs_started_total{queue="mail",job="report"}"#] == 2, "\(reply.body)")
            #expect(samples[#"drover_job_runs_ended_total{queue="mail",job="report",outcome="finished"}"#] == 2)
            #expect(samples[#"drover_job_duration_seconds_bucket{queue="mail",job="report",le="0.01"}"#] == 0)
            #expect(samples[#"drover_job_duration_seconds_bucket{queue="mail",job="report",le="0.025"}"#] == 2)
            #expect(samples[#"drover_job_duration_seconds_count{queue="mail",job="report"}"#] == 2)
            #expect(samples[#"drover_job_wait_seconds_sum{queue="mail",job="report"}"#] == 0.004)
            #expect(reply.body.contains("# TYPE drover_job_wait_seconds histogram"))
            #expect(samples[#"drover_jobs_enqueued_total{queue="mail"}"#] == 6, "\(reply.body)")
            #expect(samples[#"drover_jobs_failed_total{queue="mail"}"#] == 1)
            #expect(samples[#"drover_jobs_finished_total{queue="mail"}"#] == 2)
            #expect(samples[#"drover_jobs_retried_total{queue="mail"}"#] == 0)
            #expect(samples[#"drover_queue_jobs{queue="mail",state="queued"}"#] == 2)
            #expect(samples[#"drover_queue_jobs{queue="mail",state="scheduled"}"#] == 1)
            #expect(samples[#"drover_queue_jobs{queue="mail",state="finished"}"#] == 2)
            #expect((samples[#"drover_queue_oldest_job_age_seconds{queue="mail"}"#] ?? -1) >= 0)
            #expect(samples[#"drover_children{pool="default",role="worker",state="busy"}"#] == 1)
            #expect(samples[#"drover_children{pool="default",role="worker",state="idle"}"#] == 2)
            #expect(samples[#"drover_supervisors{state="live"}"#] == 1)
            #expect(samples[#"drover_child_restarts_total{pool="default"}"#] == 3)
            #expect(samples[#"drover_hard_limit_kills_total{pool="default"}"#] == 1)
            #expect(reply.body.contains("# TYPE drover_jobs_finished_total counter"))
            #expect(reply.body.contains("# TYPE drover_queue_jobs gauge"))

            // The totals live in Redis: a second server on the same Redis reports the same.
            _ = try web.store.publish(record, increments: [.init(name: "child_restarts", pool: "default", value: 2)], now: now)
            var settings = WebSettings(redis: web.redis.url)
            settings.port = 0
            settings.openReads = true
            let other = WebServer(settings: settings)
            let port = ListeningPort()
            let task = Task.detached { try await other.run { port.set(.success($0)) } }
            let second = try await HTTPTestClient(port: try await port.value(), token: nil).get("/metrics")
            other.stop()
            _ = await task.result
            #expect(try Self.samples(second.body)[#"drover_child_restarts_total{pool="default"}"#] == 5)
        }
    }

    @Test func aHundredQueuesAreOneScrape() async throws {
        try await WebHarness.with { web in
            var requests: [EnqueueRequest] = []
            for index in 0..<100 {
                var options = JobOptions()
                options.queue = "q\(index)"
                requests.append(EnqueueRequest(name: "n", options: options))
            }
            _ = try web.store.enqueue(requests)
            let reply = try await web.api.get("/metrics")
            let samples = try Self.samples(reply.body)
            #expect(samples.keys.filter { $0.hasPrefix("drover_queue_jobs{") && $0.hasSuffix(#"state="queued"}"#) }.count == 100)
        }
    }
}
