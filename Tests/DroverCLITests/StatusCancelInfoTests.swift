import DroverTestSupport
import Foundation
import Testing

/// `drover status`, `cancel` and `info`, run as the real binary against a private redis-server.
@Suite("drover status, cancel, info", .serialized)
struct StatusCancelInfoTests {
    /// Every field the API lists for a job, plus the TTLs and the cancel flag the API adds.
    static let designFields = [
        "id", "name", "queue", "args", "priority", "attempt", "max_attempts", "backoff", "soft_time_limit",
        "time_limit", "unique_key", "created_at", "enqueued_at", "scheduled_for", "started_at", "ended_at",
        "worker", "progress", "result", "error", "result_ttl",
    ]

    @Test("status --json has every field, with the values the job was enqueued with")
    func statusJSON() throws {
        let h = try CLIHarness()
        let before = Date()
        let id = try h.enqueue("report.build", "--args", "{\"month\": \"2026-11\"}", "--queue", "reports",
                               "--priority", "7", "--max-attempts", "3", "--time-limit", "90s",
                               "--soft-time-limit", "60s", "--unique", "report:2026-11")
        let after = Date()
        let job = try h.droverJSON("status", id, "--json")
        for field in Self.designFields {
            #expect(job.keys.contains(field), "status --json lacks \(field): \(job.keys.sorted())")
        }
        #expect(job["id"] as? String == id)
        #expect(job["name"] as? String == "report.build")
        #expect(job["queue"] as? String == "reports")
        #expect(job["state"] as? String == "queued")
        #expect((job["args"] as? [String: Any])?["month"] as? String == "2026-11")
        #expect(job["priority"] as? Int == 7)
        #expect(job["attempt"] as? Int == 0)
        #expect(job["max_attempts"] as? Int == 3)
        #expect(job["time_limit"] as? Double == 90)
        #expect(job["soft_time_limit"] as? Double == 60)
        #expect(job["unique_key"] as? String == "report:2026-11")
        let backoff = try #require(job["backoff"] as? [String: Any])
        #expect(Set(backoff.keys) == ["base", "factor", "cap", "jitter"])
        // Not run yet: these are null, not missing and not zero.
        for field in ["scheduled_for", "started_at", "ended_at", "worker", "progress", "result", "error"] {
            #expect(job[field] is NSNull, "\(field) should be null: \(String(describing: job[field]))")
        }
        let created = try #require(RFC3339.date(job["created_at"]), "created_at: \(String(describing: job["created_at"]))")
        let enqueued = try #require(RFC3339.date(job["enqueued_at"]))
        // RFC 3339 with milliseconds, UTC.
        #expect((job["created_at"] as? String)?.hasSuffix("Z") == true)
        #expect((job["created_at"] as? String)?.contains(".") == true)
        #expect(created >= before.addingTimeInterval(-0.01) && created <= after.addingTimeInterval(0.01))
        #expect(enqueued == created)
    }

    @Test("status prints the job for humans: one key and value a line, only what is set")
    func statusHuman() throws {
        let h = try CLIHarness()
        let id = try h.enqueue("report.build", "--args", "{\"month\": \"2026-11\"}", "--queue", "reports", "--in", "1h")
        let run = try h.drover("status", id)
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stderr.isEmpty)
        let lines = run.line.split(separator: "\n").map(String.init)
        var rows: [String: String] = [:]
        for line in lines {
            let key = String(line.prefix { $0 != " " })
            rows[key] = line.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
        }
        #expect(rows["id"] == id)
        #expect(rows["name"] == "report.build")
        #expect(rows["queue"] == "reports")
        #expect(rows["state"] == "scheduled")
        #expect(rows["args"] == "{\"month\": \"2026-11\"}")
        #expect(rows["attempt"] == "0 of 25")
        #expect(RFC3339.date(rows["scheduled_for"]) != nil, "\(run)")
        #expect(RFC3339.date(rows["created_at"]) != nil, "\(run)")
        #expect(rows["started_at"] == nil && rows["ended_at"] == nil && rows["error"] == nil, "\(run)")
    }

    @Test("status of an unknown id exits 1 and says so; --json prints nothing on stdout")
    func statusUnknown() throws {
        let h = try CLIHarness()
        for arguments in [["status", "01JD3W4X5Y6Z7A8B9C0D1E2F3G"], ["status", "01JD3W4X5Y6Z7A8B9C0D1E2F3G", "--json"],
                          ["status", "not-an-id"]] {
            let run = try h.drover(arguments: arguments)
            #expect(run.exitCode == 1, "\(run)")
            #expect(run.stderr.contains("no job \(arguments[1])"), "\(run)")
            #expect(run.stdout.isEmpty, "\(run)")
        }
    }

    @Test("cancel of a queued job cancels it; a second cancel exits 1 saying it is canceled")
    func cancelTwice() throws {
        let h = try CLIHarness()
        let id = try h.enqueue("builtin.noop")
        let first = try h.drover("cancel", id)
        #expect(first.exitCode == 0, "\(first)")
        #expect(first.line == "canceled \(id)")
        let job = try h.droverJSON("status", id, "--json")
        #expect(job["state"] as? String == "canceled")
        #expect(RFC3339.date(job["ended_at"]) != nil, "\(job)")
        let second = try h.drover("cancel", id)
        #expect(second.exitCode == 1, "\(second)")
        #expect(second.stderr.contains("canceled"), "\(second)")
        #expect(second.stderr.hasPrefix("drover: "), "\(second)")
        #expect(second.stdout.isEmpty)
        // The state did not move.
        #expect(try h.droverJSON("status", id, "--json")["state"] as? String == "canceled")
    }

    @Test("cancel --json reports the outcome; cancel of a scheduled job works; unknown id exits 1")
    func cancelJSONAndUnknown() throws {
        let h = try CLIHarness()
        let id = try h.enqueue("builtin.noop", "--in", "1h")
        let outcome = try h.droverJSON("cancel", id, "--json")
        #expect(outcome["id"] as? String == id)
        #expect(outcome["outcome"] as? String == "canceled")
        let queue = try #require((try h.droverJSON("info", "--json")["queues"] as? [[String: Any]])?.first)
        #expect(queue["scheduled"] as? Int == 0)
        #expect(queue["canceled"] as? Int == 1)
        let unknown = try h.drover("cancel", "01JD3W4X5Y6Z7A8B9C0D1E2F3G")
        #expect(unknown.exitCode == 1, "\(unknown)")
        #expect(unknown.stderr.contains("no job 01JD3W4X5Y6Z7A8B9C0D1E2F3G"), "\(unknown)")
    }

    @Test("info --json: every queue with its counts per state and the oldest queued job's age")
    func infoJSON() throws {
        let h = try CLIHarness()
        let empty = try h.droverJSON("info", "--json")
        #expect((empty["queues"] as? [Any])?.isEmpty == true, "\(empty)")
        let emptyHuman = try h.drover("info")
        #expect(emptyHuman.line == "no queues yet")

        _ = try h.enqueue("builtin.noop", "--queue", "alpha")
        let canceled = try h.enqueue("builtin.noop", "--queue", "alpha")
        _ = try h.enqueue("builtin.noop", "--queue", "alpha", "--priority", "5")
        _ = try h.enqueue("builtin.noop", "--queue", "beta", "--in", "10m")
        #expect(try h.drover("cancel", canceled).exitCode == 0)

        let info = try h.droverJSON("info", "--json")
        #expect(Set(info.keys) == ["queues"])
        let queues = try #require(info["queues"] as? [[String: Any]])
        #expect(queues.map { $0["name"] as? String } == ["alpha", "beta"])
        let expected: [String: [String: Int]] = [
            "alpha": ["queued": 2, "scheduled": 0, "started": 0, "finished": 0, "failed": 0, "canceled": 1],
            "beta": ["queued": 0, "scheduled": 1, "started": 0, "finished": 0, "failed": 0, "canceled": 0],
        ]
        for queue in queues {
            let name = try #require(queue["name"] as? String)
            #expect(Set(queue.keys) == ["name", "queued", "scheduled", "started", "finished", "failed", "canceled",
                                        "oldest_queued_age_seconds"], "\(queue)")
            for (state, count) in expected[name] ?? [:] {
                #expect(queue[state] as? Int == count, "\(name).\(state): \(queue)")
            }
        }
        let alphaAge = try #require(queues[0]["oldest_queued_age_seconds"] as? Double)
        #expect(alphaAge >= 0 && alphaAge < 60)
        #expect(queues[1]["oldest_queued_age_seconds"] is NSNull)

        let human = try h.drover("info")
        #expect(human.exitCode == 0)
        let lines = human.line.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first == ["queue", "queued", "sched", "started", "finished", "failed", "canceled", "oldest"])
        #expect(lines.count == 3)
        #expect(Array(lines[1].prefix(7)) == ["alpha", "2", "0", "0", "0", "0", "1"], "\(human)")
        #expect(lines[2] == ["beta", "0", "1", "0", "0", "0", "0", "-"], "\(human)")
    }
}
