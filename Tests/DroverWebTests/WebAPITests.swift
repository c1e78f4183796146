import DroverCore
import DroverQueue
import DroverTestSupport
@testable import DroverWeb
import Foundation
import Testing

/// Every endpoint of `/api/v1` against a real server and a real redis-server; every reply is
/// also checked against the OpenAPI document (`CheckedClient`).
@Suite(.serialized)
struct WebAPITests {
    @Test func queuesListCountsPerStateTheOldestQueuedJobAndTheCounters() async throws {
        try await WebHarness.with { web in
            try web.enqueue(queue: "alpha")
            try web.enqueue(queue: "alpha")
            try web.enqueue(queue: "alpha") { $0.runAt = Timestamp.nowMilliseconds() + 600_000 }
            try web.failed(queue: "beta")
            try web.finished(queue: "beta")
            let reply = try await web.api.get("/api/v1/queues")
            #expect(reply.status == 200, "\(reply)")
            let queues = reply.object["queues"] as? [[String: Any]] ?? []
            let byName = Dictionary(queues.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            let alpha = try #require(byName["alpha"] as? [String: Any])
            let counts = alpha["counts"] as? [String: Int] ?? [:]
            #expect(counts["queued"] == 2 && counts["scheduled"] == 1, "\(alpha)")
            #expect((alpha["oldest_queued_age_seconds"] as? Double ?? -1) >= 0)
            #expect(alpha["oldest_queued_at"] is String)
            let beta = try #require(byName["beta"] as? [String: Any])
            #expect((beta["counts"] as? [String: Int])?["failed"] == 1)
            #expect((beta["counts"] as? [String: Int])?["finished"] == 1)
            #expect((beta["totals"] as? [String: Int])?["enqueued"] == 2)
            #expect((beta["oldest_queued_at"] is NSNull), "an empty queue has no oldest job")
        }
    }

    @Test func aQueuesJobsArePagedNewestFirstAndTheOldestOrderIsRunOrder() async throws {
        try await WebHarness.with { web in
            var ids: [String] = []
            for _ in 0..<7 { ids.append(try web.enqueue(queue: "paged").rawValue) }
            let urgent = try web.enqueue(queue: "paged") { $0.priority = 5 }.rawValue
            // Run order: the priority-5 job first, then FIFO.
            let runOrder = [urgent] + ids
            var seen: [String] = []
            for offset in stride(from: 0, to: 9, by: 3) {
                let page = try await web.api.get("/api/v1/queues/paged/jobs?state=queued&order=oldest&limit=3&offset=\(offset)")
                #expect(page.status == 200, "\(page)")
                #expect(page.object["total"] as? Int == 8)
                #expect(page.object["offset"] as? Int == offset && page.object["limit"] as? Int == 3)
                seen += page.pageIDs
            }
            #expect(seen == runOrder)
            let newest = try await web.api.get("/api/v1/queues/paged/jobs?state=queued&limit=2")
            #expect(newest.pageIDs == Array(runOrder.reversed().prefix(2)))
            #expect(newest.object["order"] as? String == "newest")
            // The same through /jobs with a queue parameter.
            let flat = try await web.api.get("/api/v1/jobs?state=queued&queue=paged&limit=500")
            #expect(flat.pageIDs == runOrder.reversed())
        }
    }

    @Test func registriesArePagedAcrossQueuesMergedByTime() async throws {
        try await WebHarness.with { web in
            var failed: [String] = []
            for index in 0..<5 {
                failed.append(try web.failed(queue: index.isMultiple(of: 2) ? "even" : "odd").rawValue)
                usleep(2000)  // distinct end times, so the merged order is defined
            }
            let first = try await web.api.get("/api/v1/failed?limit=2")
            let second = try await web.api.get("/api/v1/failed?limit=2&offset=2")
            let third = try await web.api.get("/api/v1/failed?limit=2&offset=4")
            #expect(first.object["total"] as? Int == 5)
            #expect(first.pageIDs + second.pageIDs + third.pageIDs == failed.reversed())
            let oddOnly = try await web.api.get("/api/v1/failed?queue=odd")
            #expect(oddOnly.pageIDs == [failed[3], failed[1]])
            let oldest = try await web.api.get("/api/v1/jobs?state=failed&order=oldest")
            #expect(oldest.pageIDs == failed)
            let byQueue = try await web.api.get("/api/v1/queues/even/jobs?state=failed")
            #expect(byQueue.pageIDs == [failed[4], failed[2], failed[0]])
            let started = try web.enqueue(queue: "odd")
            try web.start(queue: "odd")
            let running = try await web.api.get("/api/v1/jobs?state=started")
            #expect(running.pageIDs == [started.rawValue])
            let job = (running.object["jobs"] as? [[String: Any]])?.first
            #expect(job?["worker"] as? String == "test-host:1")
            #expect(job?["started_at"] is String)
        }
    }

    @Test func scheduledJobsAreListedSoonestFirst() async throws {
        try await WebHarness.with { web in
            let now = Timestamp.nowMilliseconds()
            let later = try web.enqueue { $0.runAt = now + 3_600_000 }
            let sooner = try web.enqueue(queue: "other") { $0.runAt = now + 60_000 }
            let reply = try await web.api.get("/api/v1/scheduled")
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.pageIDs == [sooner.rawValue, later.rawValue])
            #expect(reply.object["state"] as? String == "scheduled")
            let first = (reply.object["jobs"] as? [[String: Any]])?.first
            #expect(first?["scheduled_for"] is String)
        }
    }

    @Test func oneJobHasEveryMemberOfTheDesignAndArgsExactlyAsEnqueued() async throws {
        try await WebHarness.with { web in
            let args = #"{"big": 9007199254740993, "z": 1, "a": [true, null]}"#
            let id = try web.enqueue("exact", args: args)
            let reply = try await web.api.get("/api/v1/jobs/\(id)")
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.body.contains(#""args":{"big": 9007199254740993, "z": 1, "a": [true, null]}"#), "\(reply.body)")
            for member in ["id", "name", "queue", "args", "priority", "attempt", "max_attempts", "backoff", "soft_time_limit",
                           "time_limit", "unique_key", "created_at", "enqueued_at", "scheduled_for", "started_at", "ended_at",
                           "worker", "progress", "result", "error", "result_ttl"] {
                #expect(reply.object[member] != nil, "missing \(member)")
            }
            let created = reply.object["created_at"] as? String ?? ""
            #expect(created.hasSuffix("Z") && created.contains("."), "RFC 3339 UTC with milliseconds: \(created)")
            let failed = try web.failed(message: "disk full")
            let failure = try await web.api.get("/api/v1/jobs/\(failed)")
            let error = failure.object["error"] as? [String: Any]
            #expect(error?["message"] as? String == "disk full" && error?["type"] as? String == "TestError")
        }
    }

    @Test func anUnknownJobIs404AndAMalformedId400() async throws {
        try await WebHarness.with { web in
            let missing = "01M8MAM6WYBS40NGZBD74RADSH"
            for reply in [try await web.api.get("/api/v1/jobs/\(missing)"),
                          try await web.api.post("/api/v1/jobs/\(missing)/cancel"),
                          try await web.api.post("/api/v1/jobs/\(missing)/requeue"),
                          try await web.api.delete("/api/v1/jobs/\(missing)")] {
                #expect(reply.status == 404 && reply.errorCode == "not_found", "\(reply)")
            }
            let malformed = try await web.api.get("/api/v1/jobs/not%20an%20id%7B")
            #expect(malformed.status == 400 && malformed.errorCode == "bad_request", "\(malformed)")
        }
    }

    @Test func badQueryParametersAre400WithTheReason() async throws {
        try await WebHarness.with { web in
            let cases: [(String, String)] = [
                ("/api/v1/jobs?state=lost", "state must be one of"),
                ("/api/v1/jobs", "state must be one of"),
                ("/api/v1/jobs?state=queued", "give a queue"),
                ("/api/v1/jobs?state=failed&limit=0", "limit must be"),
                ("/api/v1/jobs?state=failed&limit=501", "limit must be"),
                ("/api/v1/jobs?state=failed&offset=-1", "offset must be"),
                ("/api/v1/failed?order=random", "order must be newest or oldest"),
                ("/api/v1/queues/bad%20queue/jobs?state=failed", "invalid queue name"),
                ("/api/v1/scheduled?queue=a%20b", "invalid queue name"),
            ]
            for (path, reason) in cases {
                let reply = try await web.api.get(path)
                #expect(reply.status == 400, "\(path): \(reply)")
                let message = (reply.object["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains(reason), "\(path): \(message)")
            }
        }
    }

    @Test func enqueueTakesTheCLIOptionsAsJSONAndAnswersWithTheJob() async throws {
        try await WebHarness.with { web in
            let body = #"{"name": "send_mail", "queue": "mail", "args": {"to": "a@b.c", "n": 12345678901234567}, "priority": 3, "max_attempts": 2, "time_limit": "90s", "soft_time_limit": 30}"#
            let reply = try await web.api.post("/api/v1/jobs", body)
            #expect(reply.status == 201, "\(reply)")
            #expect(reply.object["state"] as? String == "queued" && reply.object["queue"] as? String == "mail")
            #expect(reply.object["priority"] as? Int == 3 && reply.object["max_attempts"] as? Int == 2)
            #expect(reply.object["time_limit"] as? Double == 90 && reply.object["soft_time_limit"] as? Double == 30)
            #expect(reply.object["duplicate"] as? Bool == false)
            #expect(reply.body.contains(#""args":{"to": "a@b.c", "n": 12345678901234567}"#), "\(reply.body)")
            let id = try #require(reply.object["id"] as? String)
            #expect(try web.store.job(JobID(id))?.state == .queued)

            let delayed = try await web.api.post("/api/v1/jobs", #"{"name": "later", "in": "5m"}"#)
            #expect(delayed.status == 201 && delayed.object["state"] as? String == "scheduled", "\(delayed)")
            let at = try await web.api.post("/api/v1/jobs", #"{"name": "later", "at": "2099-01-01T00:00:00Z"}"#)
            #expect(at.object["scheduled_for"] as? String == "2099-01-01T00:00:00.000Z", "\(at)")

            let unique = #"{"name": "sync", "unique_key": "user-7"}"#
            let first = try await web.api.post("/api/v1/jobs", unique)
            let again = try await web.api.post("/api/v1/jobs", unique)
            #expect(first.status == 201 && again.status == 200, "\(first) / \(again)")
            #expect(again.object["duplicate"] as? Bool == true && again.object["id"] as? String == first.object["id"] as? String)
        }
    }

    @Test func aBadEnqueueBodyIs400NamingTheProblemAndWritesNothing() async throws {
        try await WebHarness.with { web in
            let cases: [(String, String)] = [
                ("{", "not valid JSON"),
                ("[1]", "must be a JSON object"),
                (#"{"queue": "q"}"#, "name is required"),
                (#"{"name": "x", "prority": 1}"#, "unknown field \"prority\""),
                (#"{"name": "x", "in": "5m", "at": "2099-01-01T00:00:00Z"}"#, "not both"),
                (#"{"name": "x", "at": "tomorrow"}"#, "RFC 3339"),
                (#"{"name": "x", "priority": 1.5}"#, "whole number"),
                (#"{"name": "x", "time_limit": "soon"}"#, "time_limit"),
                (#"{"name": "x", "queue": "bad queue"}"#, "queue"),
                (#"{"name": "x", "max_attempts": 0}"#, "max_attempts"),
            ]
            for (body, reason) in cases {
                let reply = try await web.api.post("/api/v1/jobs", body)
                #expect(reply.status == 400, "\(body): \(reply)")
                let message = (reply.object["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains(reason), "\(body): \(message)")
            }
            let queues = try await web.api.get("/api/v1/queues")
            #expect((queues.object["queues"] as? [Any])?.isEmpty == true, "nothing was written: \(queues)")
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await WebHarness.with(bodyLimit: 1024) { web in
            let big = #"{"name": "x", "args": ""# + String(repeating: "a", count: 4096) + #""}"#
            let reply = try await web.api.post("/api/v1/jobs", big)
            #expect(reply.status == 413 && reply.errorCode == "payload_too_large", "\(reply)")
        }
    }

    @Test func cancelStopsAQueuedJobAtOnceAndAsksARunningOneToStop() async throws {
        try await WebHarness.with { web in
            let queued = try web.enqueue()
            let reply = try await web.api.post("/api/v1/jobs/\(queued)/cancel")
            #expect(reply.status == 200 && reply.object["outcome"] as? String == "canceled", "\(reply)")
            #expect(reply.object["state"] as? String == "canceled")
            let running = try web.enqueue(queue: "busy")
            try web.start(queue: "busy")
            let asked = try await web.api.post("/api/v1/jobs/\(running)/cancel")
            #expect(asked.status == 200 && asked.object["outcome"] as? String == "requested", "\(asked)")
            #expect(asked.object["cancel_requested"] as? Bool == true)
            let done = try web.finished()
            let refused = try await web.api.post("/api/v1/jobs/\(done)/cancel")
            #expect(refused.status == 409 && refused.errorCode == "conflict", "\(refused)")
        }
    }

    @Test func requeuePutsAFailedJobBackAndRefusesAQueuedOne() async throws {
        try await WebHarness.with { web in
            let failed = try web.failed()
            let reply = try await web.api.post("/api/v1/jobs/\(failed)/requeue")
            #expect(reply.status == 200 && reply.object["state"] as? String == "queued", "\(reply)")
            let again = try await web.api.post("/api/v1/jobs/\(failed)/requeue")
            #expect(again.status == 409, "\(again)")
            let registry = try await web.api.get("/api/v1/failed")
            #expect(registry.pageIDs.isEmpty)
        }
    }

    @Test func deleteRemovesAJobAndRefusesARunningOne() async throws {
        try await WebHarness.with { web in
            let failed = try web.failed()
            let reply = try await web.api.delete("/api/v1/jobs/\(failed)")
            #expect(reply.status == 200 && reply.object["deleted"] as? Bool == true, "\(reply)")
            let gone = try await web.api.get("/api/v1/jobs/\(failed)")
            #expect(gone.status == 404)
            let running = try web.enqueue(queue: "busy")
            try web.start(queue: "busy")
            let refused = try await web.api.delete("/api/v1/jobs/\(running)")
            #expect(refused.status == 409, "\(refused)")
        }
    }

    @Test func bulkRequeueTakesIdsAQueueOrEverything() async throws {
        try await WebHarness.with { web in
            let a1 = try web.failed(queue: "a")
            let a2 = try web.failed(queue: "a")
            let b1 = try web.failed(queue: "b")
            let b2 = try web.failed(queue: "b")
            let queued = try web.enqueue(queue: "b")
            let byIDs = try await web.api.post("/api/v1/failed/requeue", #"{"ids": ["\#(a1)", "\#(queued)"]}"#)
            #expect(byIDs.status == 200, "\(byIDs)")
            #expect(byIDs.object["requeued"] as? [String] == [a1.rawValue])
            let refused = byIDs.object["refused"] as? [[String: Any]] ?? []
            #expect(refused.count == 1 && refused.first?["id"] as? String == queued.rawValue, "\(refused)")
            let byQueue = try await web.api.post("/api/v1/failed/requeue", #"{"queue": "a"}"#)
            #expect(byQueue.object["requeued"] as? [String] == [a2.rawValue], "\(byQueue)")
            let all = try await web.api.post("/api/v1/failed/requeue")
            #expect(Set(all.object["requeued"] as? [String] ?? []) == [b1.rawValue, b2.rawValue], "\(all)")
            let none = try await web.api.post("/api/v1/failed/requeue", "{}")
            #expect((none.object["requeued"] as? [String])?.isEmpty == true)
            let bad = try await web.api.post("/api/v1/failed/requeue", #"{"ids": "a1"}"#)
            #expect(bad.status == 400, "\(bad)")
            let unknown = try await web.api.post("/api/v1/failed/requeue", #"{"everything": true}"#)
            #expect(unknown.status == 400, "\(unknown)")
        }
    }

    @Test func workersShowEverySupervisorWithItsChildrenAndCounters() async throws {
        try await WebHarness.with { web in
            let now = Timestamp.nowMilliseconds()
            let record = SupervisorRecord(
                id: "web-1:4242", host: "web-1", pid: 4242, name: nil, startedAt: now - 60_000, heartbeatAt: now,
                status: "1 busy, 0 idle", jobsDone: 40,
                pools: [.init(name: "default", queues: ["default"], concurrency: 1)],
                children: [.init(pid: 4243, pool: "default", role: "worker", state: "busy", jobID: "01M8MAM6WYBS40NGZBD74RADSH",
                                 jobStartedAt: now - 1_000, jobsDone: 40, rssBytes: 40_000_000, startedAt: now - 60_000)])
            _ = try web.store.publish(record, increments: [SupervisorCounter(name: "child_restarts", pool: "default", value: 2)],
                                      now: now)
            let reply = try await web.api.get("/api/v1/workers")
            #expect(reply.status == 200, "\(reply)")
            let supervisors = reply.object["supervisors"] as? [[String: Any]] ?? []
            #expect(supervisors.count == 1)
            #expect(supervisors.first?["host"] as? String == "web-1" && supervisors.first?["stale"] as? Bool == false)
            let child = (supervisors.first?["children"] as? [[String: Any]])?.first
            #expect(child?["state"] as? String == "busy" && child?["rss_bytes"] as? Int == 40_000_000)
            let counters = reply.object["counters"] as? [[String: Any]] ?? []
            #expect(counters.first?["name"] as? String == "child_restarts" && counters.first?["value"] as? Int == 2)
        }
    }

    @Test func periodicEntriesHaveTheirNextFireTimes() async throws {
        let entry = PeriodicEntry(name: "nightly", schedule: try CronSchedule(parsing: "0 2 * * *"), job: "scrape_all")
        try await WebHarness.with(periodic: [entry]) { web in
            let reply = try await web.api.get("/api/v1/periodic")
            #expect(reply.status == 200, "\(reply)")
            let first = (reply.object["entries"] as? [[String: Any]])?.first
            #expect(first?["name"] as? String == "nightly" && first?["cron"] as? String == "0 2 * * *")
            let next = first?["next_run_at"] as? String ?? ""
            #expect(next.hasSuffix("T02:00:00.000Z"), "\(next)")
            #expect(first?["last_run_at"] is NSNull && first?["last_job_id"] is NSNull, "never fired yet")

            // The scheduler fires yesterday's tick: the entry shows it.
            let tick = try #require(entry.nextTick(after: Date(timeIntervalSinceNow: -2 * 86_400)))
            let fired = try #require(try web.store.fire(entry, tick: tick))
            let after = try await web.api.get("/api/v1/periodic")
            let updated = (after.object["entries"] as? [[String: Any]])?.first
            #expect(updated?["last_job_id"] as? String == fired.rawValue, "\(after)")
            #expect((updated?["last_run_at"] as? String ?? "").hasSuffix("T02:00:00.000Z"), "\(after)")
        }
    }

    @Test func theOpenAPIDocumentHealthDashboardAndMetricsAreServed() async throws {
        try await WebHarness.with { web in
            let document = try await web.api.get("/api/v1/openapi.json")
            #expect(document.status == 200 && document.object["openapi"] as? String == "3.1.0")
            let health = try await web.api.get("/healthz")
            #expect(health.status == 200 && health.object["status"] as? String == "ok", "\(health)")
            let page = try await web.client(token: .some(nil)).raw.get("/")
            #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.headers["content-security-policy"]?.contains("connect-src 'self'") == true, "\(page.headers)")
            #expect(page.headers["x-frame-options"] == "DENY")
            #expect(!page.body.contains("src=\"http"), "no external asset")
            let metrics = try await web.api.get("/metrics")
            #expect(metrics.status == 200 && metrics.headers["content-type"]?.hasPrefix("text/plain") == true, "\(metrics)")
            let unknown = try await web.client().raw.get("/api/v1/nothing")
            #expect(unknown.status == 404 && unknown.errorCode == "not_found", "\(unknown)")
        }
    }

    /// A query parameter the endpoint does not take is refused, naming it, rather than ignored
    /// (`name=`: there is no search by name).
    @Test func anUnknownQueryParameterIs400NamingIt() async throws {
        try await WebHarness.with { web in
            let id = try web.failed()
            let cases: [(String, String)] = [
                ("/api/v1/jobs?state=failed&bogus=1", "bogus"), ("/api/v1/jobs?state=failed&name=report", "name"),
                ("/api/v1/failed?state=queued", "state"), ("/api/v1/queues/default/jobs?state=failed&queue=other", "queue"),
                ("/api/v1/scheduled?bogus=1", "bogus"), ("/api/v1/queues?limit=5", "limit"), ("/api/v1/jobs/\(id)?verbose=1", "verbose"),
                ("/api/v1/workers?bogus", "bogus"), ("/api/v1/periodic?x=1", "x"),
            ]
            for (path, name) in cases {
                let reply = try await web.api.get(path)
                #expect(reply.status == 400 && reply.errorCode == "bad_request", "\(path): \(reply)")
                let message = (reply.object["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains("unknown query parameter \"\(name)\""), "\(path): \(message)")
            }
            let enqueue = try await web.api.post("/api/v1/jobs?queue=mail", #"{"name": "x"}"#)
            #expect(enqueue.status == 400, "\(enqueue)")
            #expect(try web.store.job(id)?.state == .failed)
            #expect(try await web.api.get("/api/v1/jobs?state=failed&queue=default&offset=0&limit=5&order=oldest").status == 200)
        }
    }

    /// A method a known path does not take is 405 with the methods it takes in `Allow`, whoever
    /// asks; an unknown path stays 404; HEAD goes with GET.
    @Test func aMethodAKnownPathDoesNotTakeIs405WithAllow() async throws {
        try await WebHarness.with { web in
            let id = try web.failed()
            let cases: [(String, String, [String])] = [
                ("TRACE", "/api/v1/jobs", ["GET", "POST", "HEAD"]), ("PUT", "/api/v1/jobs/\(id)", ["GET", "DELETE", "HEAD"]),
                ("GET", "/api/v1/jobs/\(id)/requeue", ["POST"]), ("TRACE", "/", ["GET", "HEAD"]),
                ("DELETE", "/healthz", ["GET", "HEAD"]),
            ]
            for (method, path, allowed) in cases {
                for client in [web.api.raw, web.client(token: .some(nil)).raw] {
                    let reply = try await client.send(method, path)
                    #expect(reply.status == 405 && reply.errorCode == "method_not_allowed", "\(method) \(path): \(reply)")
                    let allow = Set((reply.headers["allow"] ?? "").components(separatedBy: ", "))
                    #expect(allow == Set(allowed), "\(method) \(path): Allow: \(reply.headers["allow"] ?? "none")")
                }
            }
            #expect(try await web.api.raw.send("TRACE", "/api/v1/nothing").status == 404)
            #expect(try await web.api.raw.send("HEAD", "/healthz").status == 200)
            #expect(try web.store.job(id)?.state == .failed)
        }
    }
}
