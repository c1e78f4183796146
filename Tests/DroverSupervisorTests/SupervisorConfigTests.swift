import DroverSystem
import DroverTestSupport
import Foundation
import Testing

@Suite("drover worker and check-config with a bad config", .serialized)
struct SupervisorConfigTests {
    static let broken = """
        pools:
          - name: social
            queues: [social_media]
            concurrency: 0
          - name: mail
            queues: []
        """

    @Test func aBadConfigExits78BeforeReady() throws {
        let harness = try SupervisorHarness()
        let path = try harness.configFile(Self.broken)
        let run = try DroverBinary.run(["worker", "--config", path], environment: harness.environment, timeout: .seconds(20))
        #expect(run.exitCode == 78, "\(run)")
        #expect(run.stderr.contains("line 4"), "\(run)")
        #expect(harness.notify.index(of: "READY=1") == nil, "\(harness.notify.messages)")
    }

    @Test func checkConfigPrintsEveryProblemWithItsLine() throws {
        let harness = try SupervisorHarness()
        let path = try harness.configFile(Self.broken)
        let run = try DroverBinary.run(["check-config", path])
        #expect(run.exitCode == 78, "\(run)")
        #expect(run.stdout.contains("line 4"), "\(run)")
        #expect(run.stdout.contains("line 6"), "\(run)")
    }

    @Test func checkConfigAcceptsAGoodFile() throws {
        let harness = try SupervisorHarness()
        let path = try harness.configFile("pools:\n  - { name: a, queues: [x], concurrency: 2 }\n")
        let run = try DroverBinary.run(["check-config", path])
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stdout.contains("ok"), "\(run)")
    }

    /// Issue 15, item 13: `check-config --config FILE` was refused though every other command
    /// takes `--config`.
    @Test func checkConfigTakesTheConfigFlagAsEveryCommandDoes() throws {
        let harness = try SupervisorHarness()
        let path = try harness.configFile(Self.broken)
        let run = try DroverBinary.run(["check-config", "--config", path])
        #expect(run.exitCode == 78, "\(run)")
        #expect(run.stdout.contains("line 4"), "\(run)")
        let both = try DroverBinary.run(["check-config", "--config", path, "/elsewhere.yml"])
        #expect(both.exitCode == 64, "\(both)")
    }

    /// Issue 15, item 11: a user in the URL with no password anywhere is a config problem that
    /// check-config reports (it passed, and AUTH later sent the user name as the password).
    @Test func checkConfigRefusesAUserWithoutAPassword() throws {
        let harness = try SupervisorHarness()
        let path = try harness.configFile("redis: { url: \"redis://alice@127.0.0.1:6379/0\" }\n")
        let run = try DroverBinary.run(["check-config", path])
        #expect(run.exitCode == 78, "\(run)")
        #expect(run.stdout.contains("names a user"), "\(run)")
        #expect(!run.stdout.contains("alice"), "\(run)")
    }

    /// Issue 15, item 1: a time limit of 100 years (the longest accepted) is timed by the master
    /// without overflow: the job runs to its end, and the master keeps serving.
    @Test func theLongestTimeLimitRunsItsJobToTheEnd() throws {
        let harness = try SupervisorHarness()
        let master = try harness.start(["--concurrency", "1"])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 0.2}"#) { $0.timeLimit = .maximum; $0.softTimeLimit = .hours(24 * 365) }
        try harness.waitFor(id, "finished") { $0.state == .finished }
        let next = try harness.enqueue("builtin.noop")
        try harness.waitFor(next, "finished") { $0.state == .finished }
        #expect(!SupervisorHarness.hasExited(master.pid))
    }

    /// Issue 15, item 13: an exec program missing on this host is refused by check-config and by
    /// the roles that run exec jobs (exit 78), with its line.
    @Test func aMissingExecProgramIsRefusedByCheckConfigAndTheWorker() throws {
        let harness = try SupervisorHarness()
        let path = try harness.configFile("pools:\n  - { name: a, queues: [x] }\nexec:\n  thumb: { command: [/nonexistent/bin/thumb] }\n")
        let check = try DroverBinary.run(["check-config", path])
        #expect(check.exitCode == 78, "\(check)")
        #expect(check.stdout.contains("exec.thumb.command[0]") && check.stdout.contains("does not exist") && check.stdout.contains("line 4"), "\(check)")
        let worker = try DroverBinary.run(["worker", "--config", path], environment: harness.environment, timeout: .seconds(20))
        #expect(worker.exitCode == 78, "\(worker)")
    }
}
