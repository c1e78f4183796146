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
