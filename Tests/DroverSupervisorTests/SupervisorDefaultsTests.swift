import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// Where pools and limits come from when the job or the command line says nothing.
@Suite("drover worker defaults", .serialized)
struct SupervisorDefaultsTests {
    @Test func withNothingGivenItServesDefaultWithOneChildPerCore() throws {
        let harness = try SupervisorHarness()
        try harness.start([])
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let ready = try harness.notify.await("READY=1")
        #expect(ready.contains("STATUS=0 busy, \(cores) idle"), "\(ready)")
        let id = try harness.enqueue("builtin.noop")
        try harness.waitFor(id, "finished") { $0.state == .finished }
    }

    @Test func aPoolTimeLimitAppliesToJobsThatSetNone() throws {
        let harness = try SupervisorHarness()
        let config = try harness.configFile("pools:\n  - { name: p, queues: [default], concurrency: 1, time_limit: 1s }\n")
        try harness.start(["--config", config])
        try harness.notify.await("READY=1")
        let id = try harness.enqueue("builtin.sleep", args: #"{"seconds": 30}"#) { $0.maxAttempts = 1 }
        let failed = try harness.waitFor(id, timeout: .seconds(10), "failed") { $0.state == .failed }
        #expect(failed.error?.type == "TimeLimit", "\(String(describing: failed.error))")
    }
}
