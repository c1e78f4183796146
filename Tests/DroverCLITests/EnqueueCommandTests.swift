import DroverTestSupport
import Foundation
import Testing

/// `drover enqueue`, run as the real binary against a private redis-server. Serialized: the
/// machine is small and shared, and each test starts its own server and several processes.
@Suite("drover enqueue", .serialized)
struct EnqueueCommandTests {
    @Test("enqueue prints the new job's id, state and queue; the job is then readable")
    func printsID() throws {
        let h = try CLIHarness()
        let run = try h.drover("enqueue", "builtin.noop", "--args", "{\"x\": 1}")
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        let words = run.line.split(separator: " ").map(String.init)
        try #require(words.count == 4, "\(run)")
        #expect(JobIDText.isValid(words[0]), "\(run)")
        #expect(Array(words[1...]) == ["queued", "on", "default"])
        let job = try h.droverJSON("status", words[0], "--json")
        #expect(job["id"] as? String == words[0])
        #expect(job["name"] as? String == "builtin.noop")
        #expect(job["state"] as? String == "queued")
    }

    @Test("enqueue --json prints the job: id, state, name, queue, args")
    func jsonOutput() throws {
        let h = try CLIHarness()
        let job = try h.droverJSON("enqueue", "send_email", "--args", "{\"to\": \"a@b.c\", \"n\": 3, \"tags\": [\"x\"]}",
                                   "--queue", "mail", "--json")
        let id = try #require(job["id"] as? String)
        #expect(JobIDText.isValid(id))
        #expect(job["state"] as? String == "queued")
        #expect(job["name"] as? String == "send_email")
        #expect(job["queue"] as? String == "mail")
        #expect(job["duplicate"] as? Bool == false)
        let args = try #require(job["args"] as? [String: Any], "args: \(String(describing: job["args"]))")
        #expect(args["to"] as? String == "a@b.c")
        #expect(args["n"] as? Int == 3)
        #expect(args["tags"] as? [String] == ["x"])
        #expect(args.count == 3)
        // What --json printed is what Redis holds.
        let read = try h.droverJSON("status", id, "--json")
        #expect(read["queue"] as? String == "mail")
        #expect((read["args"] as? [String: Any])?["to"] as? String == "a@b.c")
    }

    @Test("--in 30s makes a scheduled job due about 30 s from now")
    func delayed() throws {
        let h = try CLIHarness()
        let before = Date()
        let job = try h.droverJSON("enqueue", "builtin.noop", "--in", "30s", "--json")
        let after = Date()
        #expect(job["state"] as? String == "scheduled")
        let due = try #require(RFC3339.date(job["scheduled_for"]), "scheduled_for: \(String(describing: job["scheduled_for"]))")
        #expect(due >= before.addingTimeInterval(30 - 0.01), "due \(due), enqueued after \(before)")
        #expect(due <= after.addingTimeInterval(30 + 0.01), "due \(due), enqueued before \(after)")
        let id = try #require(job["id"] as? String)
        let read = try h.droverJSON("status", id, "--json")
        #expect(read["state"] as? String == "scheduled")
        #expect(RFC3339.date(read["scheduled_for"]) == due)
        let info = try h.droverJSON("info", "--json")
        let queue = try #require((info["queues"] as? [[String: Any]])?.first)
        #expect(queue["scheduled"] as? Int == 1)
        #expect(queue["queued"] as? Int == 0)
    }

    @Test("--at takes an RFC 3339 time and schedules the job for exactly that instant")
    func at() throws {
        let h = try CLIHarness()
        let when = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3600).rounded(.down))
        let job = try h.droverJSON("enqueue", "builtin.noop", "--at", RFC3339.string(when), "--json")
        #expect(job["state"] as? String == "scheduled")
        #expect(RFC3339.date(job["scheduled_for"]) == when, "\(String(describing: job["scheduled_for"])) vs \(when)")
        // With an offset instead of Z: the same instant.
        let offset = try h.droverJSON("enqueue", "builtin.noop", "--at",
                                      RFC3339.string(when).replacingOccurrences(of: "Z", with: "") + "+00:00", "--json")
        #expect(RFC3339.date(offset["scheduled_for"]) == when)
    }

    @Test("--at with a malformed time is a usage error and writes nothing")
    func badAt() throws {
        let h = try CLIHarness()
        let run = try h.drover("enqueue", "builtin.noop", "--at", "tomorrow at nine")
        #expect(run.exitCode == 64, "\(run)")
        #expect(run.stderr.contains("--at"), "\(run)")
        #expect(run.stdout.isEmpty)
        #expect(try h.keyCount() == 0)
    }

    @Test("--in and --at together is a usage error")
    func inAndAt() throws {
        let h = try CLIHarness()
        let run = try h.drover("enqueue", "builtin.noop", "--in", "30s", "--at", "2030-01-01T00:00:00Z")
        #expect(run.exitCode == 64, "\(run)")
        #expect(run.stderr.contains("--in or --at"), "\(run)")
        #expect(try h.keyCount() == 0)
    }

    @Test("a negative priority works both as --priority=-5 and --priority -5", arguments: [["--priority=-5"], ["--priority", "-5"]])
    func negativePriority(_ flag: [String]) throws {
        let h = try CLIHarness()
        let run = try h.drover(arguments: ["enqueue", "builtin.noop", "--json"] + flag)
        #expect(run.exitCode == 0, "\(run)")
        let job = try JSONObject.parse(run.stdout)
        #expect(job["priority"] as? Int == -5, "\(run)")
        let id = try #require(job["id"] as? String)
        let read = try h.droverJSON("status", id, "--json")
        #expect(read["priority"] as? Int == -5)
        let human = try h.drover("status", id)
        #expect(human.stdout.contains("\npriority      -5\n"), "\(human)")
    }

    @Test("--unique twice returns the live job's id and enqueues one job")
    func unique() throws {
        let h = try CLIHarness()
        let first = try h.droverJSON("enqueue", "builtin.noop", "--unique", "welcome:42", "--json")
        let second = try h.droverJSON("enqueue", "builtin.noop", "--unique", "welcome:42", "--json")
        let id = try #require(first["id"] as? String)
        #expect(second["id"] as? String == id)
        #expect(first["duplicate"] as? Bool == false)
        #expect(second["duplicate"] as? Bool == true)
        #expect(first["unique_key"] as? String == "welcome:42")
        let human = try h.drover("enqueue", "builtin.noop", "--unique", "welcome:42")
        #expect(human.exitCode == 0)
        #expect(human.line == "\(id) (already live with unique key welcome:42)", "\(human)")
        let queue = try #require((try h.droverJSON("info", "--json")["queues"] as? [[String: Any]])?.first)
        #expect(queue["queued"] as? Int == 1)
    }

    @Test("--count 1000 enqueues 1000 jobs, and info shows them queued")
    func count() throws {
        let h = try CLIHarness()
        let run = try h.drover("enqueue", "builtin.noop", "--count", "1000", "--queue", "load")
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stdout.hasPrefix("enqueued 1000 jobs on load in "), "\(run)")
        let info = try h.droverJSON("info", "--json")
        let queues = try #require(info["queues"] as? [[String: Any]])
        #expect(queues.count == 1)
        #expect(queues.first?["name"] as? String == "load")
        #expect(queues.first?["queued"] as? Int == 1000)
        let json = try h.droverJSON("enqueue", "builtin.noop", "--count", "250", "--queue", "load", "--json")
        #expect(json["enqueued"] as? Int == 250)
        #expect(JobIDText.isValid(json["first"] as? String ?? ""))
        #expect(JobIDText.isValid(json["last"] as? String ?? ""))
        let after = try #require((try h.droverJSON("info", "--json")["queues"] as? [[String: Any]])?.first)
        #expect(after["queued"] as? Int == 1250)
    }

    @Test("malformed --args is a usage error with a clear message, and nothing is written",
          arguments: ["{bad", "{\"a\": 1", "[1, 2,]", "", "{\"a\": 1} trailing"])
    func malformedArgs(_ args: String) throws {
        let h = try CLIHarness()
        let run = try h.drover("enqueue", "builtin.noop", "--args", args)
        #expect(run.exitCode == 64, "\(run)")
        #expect(run.stderr.contains("--args is not valid JSON"), "\(run)")
        #expect(run.stdout.isEmpty, "\(run)")
        #expect(try h.keyCount() == 0)
        // With --count too: still nothing.
        let many = try h.drover("enqueue", "builtin.noop", "--args", args, "--count", "500")
        #expect(many.exitCode == 64, "\(many)")
        #expect(try h.keyCount() == 0)
    }

    @Test("bad flags are usage errors (64) and write nothing")
    func usageErrors() throws {
        let h = try CLIHarness()
        for arguments in [["enqueue"], ["enqueue", "builtin.noop", "--count", "0"],
                          ["enqueue", "builtin.noop", "--count", "2", "--unique", "k"],
                          ["enqueue", "builtin.noop", "--in", "soon"],
                          ["enqueue", "builtin.noop", "--no-such-flag"]] {
            let run = try h.drover(arguments: arguments)
            #expect(run.exitCode == 64, "\(arguments): \(run)")
            #expect(!run.stderr.isEmpty, "\(arguments): \(run)")
        }
        #expect(try h.keyCount() == 0)
    }
}

extension CLIHarness {
    /// Runs `drover ARGS` (an array) with `REDIS_URL` set to this server.
    func drover(arguments: [String]) throws -> DroverRun {
        try DroverBinary.run(arguments, environment: ["REDIS_URL": server.urlString])
    }
}
