import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// Nothing an exec program starts outlives its run, in a standalone `drover work` (issue 15):
/// not at its end, a cancel, its soft limit, or a SIGKILL of the worker. The program's
/// grandchildren call `setsid` (`EscapingProgram`).
extension ExecJobTests {
    /// A config whose `escape` job runs the escaping program in `mode`; `limits` is appended to
    /// the entry.
    static func escapeConfig(_ h: WorkerHarness, mode: String, limits: String = "") throws -> (config: String, pidFile: String) {
        let dir = h.server.directory.path
        let script = try EscapingProgram.install(in: dir)
        let pidFile = dir + "/escape.pids"
        let config = dir + "/escape.yml"
        try "exec:\n  escape: { command: [\(script), \(pidFile), \(mode)]\(limits) }\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        return (config, pidFile)
    }

    @Test func nothingAProgramStartedOutlivesItsEnd() throws {
        let h = try WorkerHarness()
        let (config, pidFile) = try Self.escapeConfig(h, mode: "end")
        let id = try h.enqueue("escape") { $0.maxAttempts = 1 }
        let worker = try h.worker(["--burst", "--config", config])
        #expect(worker.waitForExit() == .exited(0))
        #expect(try h.job(id).state == .finished)
        let pids = try EscapingProgram.grandchildren(in: pidFile)
        #expect(EscapingProgram.survivors(of: pids) == [])
    }

    @Test func nothingAProgramStartedOutlivesACancel() throws {
        let h = try WorkerHarness()
        let (config, pidFile) = try Self.escapeConfig(h, mode: "wait")
        let id = try h.enqueue("escape") { $0.maxAttempts = 1 }
        let worker = try h.worker(["--config", config])
        defer { _ = worker.terminate() }
        let pids = try EscapingProgram.grandchildren(in: pidFile)
        #expect(try h.store.cancel(id) == .requested)
        _ = try h.waitFor(id) { $0.state == .canceled }
        #expect(EscapingProgram.survivors(of: pids) == [])
    }

    @Test func nothingAProgramStartedOutlivesItsSoftLimit() throws {
        let h = try WorkerHarness()
        let (config, pidFile) = try Self.escapeConfig(h, mode: "wait", limits: ", soft_time_limit: 1s")
        let id = try h.enqueue("escape") { $0.maxAttempts = 1 }
        let worker = try h.worker(["--config", config])
        defer { _ = worker.terminate() }
        let pids = try EscapingProgram.grandchildren(in: pidFile)
        let failed = try h.waitFor(id) { $0.state == .failed }
        #expect(failed.error?.type == "TimeLimit", "\(String(describing: failed.error))")
        #expect(EscapingProgram.survivors(of: pids) == [])
    }

    /// The worker's SIGKILL: nothing is left to sweep in the worker, so the program's reaper
    /// does it (its parent-death signal).
    @Test func nothingAProgramStartedOutlivesItsWorkersSIGKILL() throws {
        let h = try WorkerHarness()
        let (config, pidFile) = try Self.escapeConfig(h, mode: "wait")
        _ = try h.enqueue("escape") { $0.maxAttempts = 1 }
        let worker = try h.worker(["--config", config])
        let pids = try EscapingProgram.grandchildren(in: pidFile)
        _ = worker.terminate(signal: .kill)
        #expect(EscapingProgram.survivors(of: pids) == [])
    }
}
