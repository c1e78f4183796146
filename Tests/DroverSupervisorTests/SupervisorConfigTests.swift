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
}
