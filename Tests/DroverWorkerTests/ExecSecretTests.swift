import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// The Redis password reaches neither an exec program nor a core dump (issue 15).
extension ExecJobTests {
    /// A program looks for the password everywhere it can: its own environment, its parent's
    /// (the run's reaper) and its worker's `/proc/PID/environ`. The worker got the password from
    /// `REDIS_PASSWORD` and also has `REDISCLI_AUTH`; the tests run as root, so only a scrubbed
    /// environment block, not the worker's non-dumpable flag, keeps `/proc` from showing it.
    @Test func aProgramFindsNoPasswordInAnyEnvironment() throws {
        let password = "pw-\(UInt64.random(in: 1...UInt64.max))"
        let h = try WorkerHarness(password: password)
        let dir = h.server.directory.path
        let script = dir + "/peek.sh"
        let found = dir + "/found.txt"
        try """
            #!/bin/sh
            worker=$(cut -d' ' -f4 /proc/$PPID/stat)
            { env; tr '\\0' '\\n' < /proc/$PPID/environ; tr '\\0' '\\n' < /proc/$worker/environ; } > "$1" 2>&1
            echo '{}'

            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let config = dir + "/peek.yml"
        try "exec:\n  peek: { command: [\(script), \(found)] }\n".write(toFile: config, atomically: true, encoding: .utf8)
        let id = try h.enqueue("peek") { $0.maxAttempts = 1 }
        var environment = h.environment
        environment["REDIS_PASSWORD"] = password
        environment["REDISCLI_AUTH"] = password
        let worker = try h.worker(["--burst", "--config", config], environment: environment)
        #expect(worker.waitForExit() == .exited(0))
        #expect(try h.job(id).state == .finished)
        let seen = try String(contentsOfFile: found, encoding: .utf8)
        // The reads worked: the worker's environment block is there, REDIS_URL and all.
        #expect(seen.components(separatedBy: "REDIS_URL=").count == 3, "\(seen)")
        #expect(!seen.contains(password), "\(seen)")
    }

    /// A worker is not dumpable: a signal whose default action dumps core leaves no core, while
    /// with `DROVER_DUMPABLE=1` (the control: cores are possible here) it does.
    @Test(arguments: [false, true])
    func aWorkerDumpsNoCoreUnlessAskedTo(dumpable: Bool) throws {
        let h = try WorkerHarness()
        var environment = h.environment
        if dumpable { environment["DROVER_DUMPABLE"] = "1" }
        let dir = h.server.directory.path
        // A core goes to the working directory (core_pattern "core") when RLIMIT_CORE allows.
        let worker = try ChildProgram.start("/bin/sh", ["sh", "-c", "ulimit -c unlimited && cd \(dir) && exec \"$0\" work", WorkerHarness.binary],
                                            environment: environment, awaiting: "serving")
        worker.send(Signal(rawValue: SIGXCPU))
        let status = worker.waitForExit()
        defer { try? FileManager.default.removeItem(atPath: dir + "/core") }
        #expect(status == .signaled(Signal(rawValue: SIGXCPU), coreDumped: dumpable), "\(status)")
    }
}
