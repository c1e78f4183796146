import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// Nothing an exec program starts outlives its run under the master (issue 15): not past its
/// hard limit (the worker's group is SIGKILLed), not a SIGKILL of its worker, not a SIGKILL of
/// the master. The program's grandchildren call `setsid` (`EscapingProgram`).
@Suite("exec containment (supervisor)", .serialized)
struct SupervisorExecContainmentTests {
    /// A one-child master running the escaping program, returned once its grandchildren are up.
    private func startEscapingJob(limits: String = "") throws -> (SupervisorHarness, JobID, [ProcessID]) {
        let harness = try SupervisorHarness()
        let script = try EscapingProgram.install(in: harness.notify.directory)
        let pidFile = harness.notify.directory + "/escape.pids"
        let config = try harness.configFile("""
        pools:
          - { name: p, queues: [default], concurrency: 1 }
        exec:
          escape: { command: [\(script), \(pidFile), wait]\(limits) }
        """)
        try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("escape") { $0.maxAttempts = 1 }
        return (harness, id, try EscapingProgram.grandchildren(in: pidFile))
    }

    @Test func nothingAProgramStartedOutlivesItsHardLimit() throws {
        let (harness, id, pids) = try startEscapingJob(limits: ", time_limit: 1s")
        let failed = try harness.waitFor(id, timeout: .seconds(10), "failed") { $0.state == .failed }
        #expect(failed.error?.type == "TimeLimit", "\(String(describing: failed.error))")
        #expect(EscapingProgram.survivors(of: pids) == [])
    }

    @Test func nothingAProgramStartedOutlivesItsWorkersSIGKILL() throws {
        let (harness, id, pids) = try startEscapingJob()
        let running = try harness.waitFor(id, "started") { $0.state == .started }
        try Posix.kill(try SupervisorHarness.childPID(of: running), .kill)
        #expect(EscapingProgram.survivors(of: pids) == [])
    }

    /// The master's SIGKILL: its children die with it (PDEATHSIG KILL), and the program's reaper
    /// with its worker kills what the program started; then no recovered run of the job can
    /// meet an earlier one still running.
    @Test func nothingAProgramStartedOutlivesTheMastersSIGKILL() throws {
        let (harness, _, pids) = try startEscapingJob()
        let master = try #require(harness.master)
        _ = master.terminate(signal: .kill)
        harness.master = nil
        #expect(EscapingProgram.survivors(of: pids) == [])
    }
}
