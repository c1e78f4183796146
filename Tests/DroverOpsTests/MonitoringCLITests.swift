import DroverCore
import DroverQueue
import DroverTestSupport
import Foundation
import Testing

/// `drover info / workers / failed / requeue / empty / control`, human and JSON, run as the real
/// binary against a real redis-server with jobs in every state (MonitoringSystem).
@Suite(.serialized) struct MonitoringCLITests {
    @Test func infoCountsEveryStateAndAddsTheWorkersOnceASupervisorIsRegistered() throws {
        let system = try MonitoringSystem()
        try system.fillEveryState()

        let info = try system.json("info")
        let queues = try #require(info["queues"] as? [[String: Any]])
        #expect(queues.map { $0["name"] as? String } == ["alpha", "beta"])
        let expected: [[String: Int]] = [
            ["queued": 2, "scheduled": 1, "started": 0, "finished": 2, "failed": 1, "canceled": 1],
            ["queued": 0, "scheduled": 0, "started": 1, "finished": 0, "failed": 0, "canceled": 0],
        ]
        for (queue, counts) in zip(queues, expected) {
            for (state, count) in counts { #expect(queue[state] as? Int == count, "\(state): \(queue)") }
        }
        #expect(info["workers"] == nil, "no supervisor registered yet: \(info)")

        let human = try system.drover("info")
        expectPlainAndNarrow(human)
        let rows = human.line.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first == ["queue", "queued", "sched", "started", "finished", "failed", "canceled", "oldest"])
        #expect(Array(rows[1].prefix(7)) == ["alpha", "2", "1", "0", "2", "1", "1"], "\(human)")
        #expect(Array(rows[2]) == ["beta", "0", "0", "1", "0", "0", "0", "-"], "\(human)")

        try system.publishSupervisor(jobID: try #require(system.ids["started"]?.first))
        let withWorkers = try system.json("info")
        let workers = try #require(withWorkers["workers"] as? [String: Any], "\(withWorkers)")
        #expect(workers["busy"] as? Int == 1 && workers["idle"] as? Int == 1 && workers["supervisors"] as? Int == 1, "\(workers)")
        #expect(workers["hosts"] as? Int == 1 && workers["stale_supervisors"] as? Int == 0, "\(workers)")
        let rate = try #require(withWorkers["jobs_per_second"] as? Double, "measured over a second: \(withWorkers)")
        #expect(rate == 0, "nothing ended during the sample")
        let humanWithWorkers = try system.drover("info")
        expectPlainAndNarrow(humanWithWorkers)
        #expect(humanWithWorkers.line.split(separator: "\n").last == "workers: 1 busy, 1 idle on 1 host(s); 0.0 jobs/s",
                "\(humanWithWorkers)")
    }

    @Test func infoIntervalMeasuresJobsPerSecondBetweenSamples() throws {
        let system = try MonitoringSystem()
        try system.publishSupervisor(jobID: "01JD3W4X5Y6Z7A8B9C0D1E2F3G")
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in !key.hasPrefix("DROVER_") }
        environment["REDIS_URL"] = system.server.urlString
        // --json --interval: one JSON line per sample (stdout is a pipe: no screen redraw).
        let info = try ChildProgram.start(try DroverBinary.path(), ["drover", "info", "--interval", "0.5", "--json"],
                                          environment: environment)
        defer { info.terminate(signal: .int) }
        try info.await("\"queues\"")
        _ = try system.store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop"), count: 200))
        let burst = try system.drover("work", "default", "--burst")
        try #require(burst.exitCode == 0, "\(burst)")
        // Samples go on; one of the next ones saw the 200 jobs end.
        var seen: Double = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while seen == 0 && ContinuousClock.now < deadline {
            usleep(100_000)
            for line in info.drain().split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                seen = max(seen, object["jobs_per_second"] as? Double ?? 0)
            }
        }
        #expect(seen > 0, "no sample saw a rate:\n\(info.seen)")
    }

    @Test func workersShowsEachChildWithItsJobAndMemory() throws {
        let system = try MonitoringSystem()
        let empty = try system.drover("workers")
        #expect(empty.exitCode == 0 && empty.line.hasPrefix("no supervisors registered"), "\(empty)")

        let job = "01JD3W4X5Y6Z7A8B9C0D1E2F3G"
        try system.publishSupervisor(jobID: job)
        try system.publishSupervisor(host: "web-2", pid: 77, jobID: job, heartbeatAge: 60_000)
        let json = try system.json("workers")
        let supervisors = try #require(json["supervisors"] as? [[String: Any]])
        #expect(supervisors.map { $0["id"] as? String } == ["web-1:4242", "web-2:77"])
        #expect(supervisors.map { $0["stale"] as? Bool } == [false, true])
        let children = try #require(supervisors[0]["children"] as? [[String: Any]])
        #expect(children.count == 2)
        #expect(children[0]["state"] as? String == "busy" && children[0]["job_id"] as? String == job)
        let seconds = try #require(children[0]["job_seconds"] as? Double)
        #expect(seconds >= 12 && seconds < 60)
        #expect(children[0]["rss_bytes"] as? Int == 44_040_192 && children[0]["jobs_done"] as? Int == 25)
        #expect(children[1]["job_id"] is NSNull)

        let human = try system.drover("workers")
        expectPlainAndNarrow(human)
        let lines = human.line.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("web-1:4242  up 1h, 40 job(s) done"), "\(human)")
        // The busy child's job started 12 s before the record was written; the binary's own
        // start-up may add a second.
        let busy = try #require(lines.first { $0.hasPrefix("  4243") }, "\(human)").split(separator: " ")
        #expect(busy.count == 7 && Array(busy[0...3]) == ["4243", "default", "busy", Substring(job)], "\(human)")
        #expect(["12s", "13s"].contains(busy[4]) && Array(busy[5...6]) == ["25", "42M"], "\(human)")
        #expect(lines.contains { $0.split(separator: " ") == ["4244", "default", "idle", "-", "-", "15", "38M"] }, "\(human)")
        #expect(lines.contains { $0.hasPrefix("web-2:77") && $0.contains("silent for 1m") }, "\(human)")

        let filtered = try system.json("workers", "--pool", "nope")
        #expect((filtered["supervisors"] as? [Any])?.isEmpty == true)
    }

    @Test func failedRequeueAndEmptyActOnTheRealRegistries() throws {
        let system = try MonitoringSystem()
        try system.fillEveryState()
        let failedID = try #require(system.ids["failed"]?.first)

        let failed = try system.json("failed")
        let jobs = try #require(failed["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["id"] as? String } == [failedID])
        #expect(((jobs[0]["error"] as? [String: Any])?["message"] as? String)?.contains("boom") == true, "\(jobs)")
        let human = try system.drover("failed", "--queue", "alpha")
        expectPlainAndNarrow(human)
        let lines = human.line.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(human)")
        #expect(lines[0].split(separator: " ") == ["id", "queue", "name", "attempt", "ended"], "\(human)")
        #expect(lines[1].hasPrefix(failedID) && lines[1].contains("builtin.fail") && lines[1].contains("1/1"), "\(human)")
        #expect(lines[2].hasPrefix("    ") && lines[2].contains("boom"), "\(human)")
        #expect(try system.drover("failed", "--queue", "beta").line == "no failed jobs")

        let requeued = try system.json("requeue", "--all")
        #expect(requeued["requeued"] as? Int == 1, "\(requeued)")
        #expect((try system.json("failed")["jobs"] as? [Any])?.isEmpty == true)
        #expect(try system.store.job(JobID(failedID))?.state == .queued)

        let emptied = try system.json("empty", "alpha", "--yes")
        #expect(emptied["removed"] as? Int == 3, "two queued and the requeued one: \(emptied)")
        let after = try #require((try system.json("info")["queues"] as? [[String: Any]])?.first)
        #expect(after["queued"] as? Int == 0 && after["scheduled"] as? Int == 1 && after["finished"] as? Int == 2, "\(after)")
    }

    @Test func controlPutsCommandsOnTheChosenSupervisorsLists() throws {
        let system = try MonitoringSystem()
        let one = try system.publishSupervisor(jobID: "01JD3W4X5Y6Z7A8B9C0D1E2F3G")
        let two = try system.publishSupervisor(host: "web-2", pid: 77, jobID: "01JD3W4X5Y6Z7A8B9C0D1E2F3G")

        // No master drains the lists here, so nothing is picked up (--wait 0: do not wait).
        let up = try system.json("control", "scale", "default", "+2", "--wait", "0")
        #expect(up["sent"] as? [String] == [one.id, two.id], "\(up)")
        #expect(up["pending"] as? [String] == [one.id, two.id], "\(up)")
        let down = try system.drover("control", "scale", "default", "-1", "--supervisor", two.id, "--wait", "0")
        expectPlainAndNarrow(down)
        #expect(down.line == "scale default -1 → web-2:77: sent", "\(down)")
        let stop = try system.json("control", "shutdown", "web-1", "--wait", "0")
        #expect(stop["sent"] as? [String] == [one.id])

        let first = try system.pendingControl(one.id).compactMap(ControlCommand.init(json:))
        let second = try system.pendingControl(two.id).compactMap(ControlCommand.init(json:))
        #expect(Set(first.map(\.json)) == Set([ControlCommand.scale(pool: "default", delta: 2), .shutdown].map(\.json)), "\(first)")
        #expect(Set(second.map(\.json)) == Set([ControlCommand.scale(pool: "default", delta: 2), .scale(pool: "default", delta: -1)].map(\.json)))

        let unknownPool = try system.drover("control", "scale", "nope", "+1", "--wait", "0")
        #expect(unknownPool.exitCode == 1 && unknownPool.stderr.contains("no pool nope"), "\(unknownPool)")
        let unknownHost = try system.drover("control", "shutdown", "web-9", "--wait", "0")
        #expect(unknownHost.exitCode == 1, "\(unknownHost)")
        let zero = try system.drover("control", "scale", "default", "0")
        #expect(zero.exitCode == 64, "\(zero)")
    }

    @Test func controlWaitsUntilAMasterPicksTheCommandUp() throws {
        let system = try MonitoringSystem()
        let record = try system.publishSupervisor(jobID: "01JD3W4X5Y6Z7A8B9C0D1E2F3G")
        // Play the master: publish again (which drains the list) once the command is there.
        // Used only by the thread below once this function hands it over.
        nonisolated(unsafe) let store = JobStore(client: system.server.client())
        let master = Thread {
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if let commands = try? store.publish(record, increments: [], now: Timestamp.nowMilliseconds()), !commands.isEmpty { return }
                usleep(50_000)
            }
        }
        master.start()
        let run = try system.drover("control", "scale", "default", "+1", "--wait", "5")
        expectPlainAndNarrow(run)
        #expect(run.line == "scale default +1 → web-1:4242: picked up", "\(run)")
    }
}
