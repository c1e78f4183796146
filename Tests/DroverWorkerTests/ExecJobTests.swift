import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// Exec jobs: admin-configured programs, argv only, arguments on stdin, result on stdout.
@Suite(.serialized) struct ExecJobTests {
    /// Writes the scripts and a config naming them; returns the config path.
    static func setUp(in dir: URL) throws -> String {
        let scripts: [String: String] = [
            "double.sh": "#!/bin/sh\nread input\nn=$(echo \"$input\" | sed 's/[^0-9]//g')\necho \"{\\\"doubled\\\": $((n * 2))}\"\n",
            "fail.sh": "#!/bin/sh\necho 'disk full on /srv' >&2\nexit 3\n",
            "garbage.sh": "#!/bin/sh\necho 'this is not json'\n",
            "quiet_reader.sh": "#!/bin/sh\nexec >/dev/null 2>&1\ncat >/dev/null\nexit 0\n",
            "quiet_sleeper.sh": "#!/bin/sh\nexec >/dev/null 2>&1\necho $$ > \"$1\"\nexec sleep 300\n",
            "inspect.sh": "#!/bin/sh\nread input\nsockets=$(ls -l /proc/$$/fd | grep -c 'socket:')\nredis=$(env | grep -c '^REDIS_\\|^DROVER_')\necho \"{\\\"sockets\\\": $sockets, \\\"redis_vars\\\": $redis}\"\n",
            "stubborn.sh": "#!/bin/sh\n# A grandchild that ignores TERM, and a parent that does too.\ntrap '' TERM\n(trap '' TERM; echo $$ > \"$1\"; exec sleep 300) &\necho $! > \"$1.child\"\nwait\n",
        ]
        for (name, body) in scripts {
            let path = dir.appendingPathComponent(name).path
            try body.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
        }
        let pidFile = dir.appendingPathComponent("grandchild.pid").path
        let yaml = """
        exec:
          double: { command: [\(dir.path)/double.sh] }
          failing: { command: [\(dir.path)/fail.sh] }
          garbage: { command: [\(dir.path)/garbage.sh] }
          stubborn: { command: [\(dir.path)/stubborn.sh, \(pidFile)] }
          quiet_reader: { command: [\(dir.path)/quiet_reader.sh] }
          quiet_sleeper: { command: [\(dir.path)/quiet_sleeper.sh, \(dir.path)/sleeper.pid] }
          inspect: { command: [\(dir.path)/inspect.sh] }
        """
        let config = dir.appendingPathComponent("drover.yml").path
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    @Test func execJobsSucceedFailAndRejectGarbage() throws {
        let h = try WorkerHarness()
        let config = try Self.setUp(in: h.server.directory)
        let ok = try h.enqueue("double", args: #"{"n": 21}"#)
        let failing = try h.enqueue("failing") { $0.maxAttempts = 1 }
        let garbage = try h.enqueue("garbage") { $0.maxAttempts = 1 }
        let worker = try h.worker(["--burst", "--config", config])
        #expect(worker.waitForExit() == .exited(0))

        let done = try h.job(ok)
        #expect(done.state == .finished)
        #expect(done.resultJSON == #"{"doubled": 42}"#)

        let failed = try h.job(failing)
        #expect(failed.state == .failed)
        #expect(failed.error?.message.contains("exited with status 3") == true)
        #expect(failed.error?.message.contains("disk full on /srv") == true)

        let bad = try h.job(garbage)
        #expect(bad.state == .failed)
        #expect(bad.error?.message.contains("not JSON") == true)
    }

    /// A program that closes stdout and stderr and then reads its (large) stdin still gets all
    /// of it, and its job ends when it exits.
    @Test func aProgramThatClosesItsOutputStillGetsItsInput() throws {
        let h = try WorkerHarness()
        let config = try Self.setUp(in: h.server.directory)
        let big = "{\"blob\": \"" + String(repeating: "x", count: 200_000) + "\"}"
        let id = try h.enqueue("quiet_reader", args: big) { $0.maxAttempts = 1 }
        let worker = try h.worker(["--burst", "--config", config])
        #expect(worker.waitForExit() == .exited(0))
        let job = try h.job(id)
        #expect(job.state == .finished, "\(job.state) \(String(describing: job.error))")
    }

    /// A program that closed its output is still stopped by a cancel (TERM to its group).
    @Test func aCancelStopsAProgramThatClosedItsOutput() throws {
        let h = try WorkerHarness()
        let config = try Self.setUp(in: h.server.directory)
        let pidFile = h.server.directory.appendingPathComponent("sleeper.pid").path
        let id = try h.enqueue("quiet_sleeper") { $0.maxAttempts = 1 }
        let worker = try h.worker(["--config", config])
        defer { worker.terminate() }
        let pid = try h.waitForPID(in: pidFile)
        let asked = ContinuousClock.now
        #expect(try h.store.cancel(id) == .requested)
        let job = try h.waitFor(id) { $0.state == .canceled }
        print("cancel of a program with closed output: canceled after \(ContinuousClock.now - asked)")
        #expect(job.state == .canceled)
        #expect(throws: SystemError.self) { try Posix.kill(pid, Signal(rawValue: 0)) }
    }

    /// The program gets no Redis connection and none of Drover's settings.
    @Test func aProgramInheritsNoRedisConnectionOrSecret() throws {
        let h = try WorkerHarness()
        let config = try Self.setUp(in: h.server.directory)
        let id = try h.enqueue("inspect") { $0.maxAttempts = 1 }
        // The worker has REDIS_URL (the harness sets it); the program must not.
        let worker = try h.worker(["--burst", "--config", config])
        #expect(worker.waitForExit() == .exited(0))
        let job = try h.job(id)
        let result = try JSONValue(parsing: try #require(job.resultJSON))
        // The worker's Redis connections are sockets: none may cross over.
        #expect(result["sockets"] == .number(0), "\(result)")
        #expect(result["redis_vars"] == .number(0), "\(result)")
    }

    @Test func cancelStopsTheProgramAndEverythingItStarted() throws {
        let h = try WorkerHarness()
        let config = try Self.setUp(in: h.server.directory)
        let pidFile = h.server.directory.appendingPathComponent("grandchild.pid").path
        let id = try h.enqueue("stubborn") { $0.maxAttempts = 1 }
        let worker = try h.worker(["--config", config])
        try h.waitFor(id) { $0.state == .started }
        // Wait for the grandchild to exist (it writes its pid file).
        let deadline = ContinuousClock.now + .seconds(5)
        var grandchild: pid_t = 0
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                grandchild = pid
                break
            }
            usleep(10_000)
        }
        #expect(grandchild > 0)
        #expect(try h.store.cancel(id) == .requested)
        let job = try h.waitFor(id, timeout: .seconds(10)) { $0.state == .canceled }
        #expect(job.error?.type == "Canceled")
        // TERM was ignored, so the group got KILL: the grandchild is gone too.
        #expect(kill(grandchild, 0) == -1 && errno == ESRCH)
        #expect(worker.terminate() == .exited(0))
    }

    @Test func aBadConfigIsRefusedWithExitStatus78() throws {
        let h = try WorkerHarness()
        let config = h.server.directory.appendingPathComponent("bad.yml").path
        try "exec:\n  x: { command: \"rm -rf /tmp/x\" }\n".write(toFile: config, atomically: true, encoding: .utf8)
        let worker = try ChildProgram.start(WorkerHarness.binary, ["drover", "work", "--config", config], environment: h.environment)
        #expect(worker.waitForExit() == .exited(78))
        #expect(worker.seen.contains("line 2"))
    }
}
