import DroverSupervisor
import Testing

@Suite struct RestartBackoffTests {
    @Test func firstEarlyDeathIsReplacedAtOnce() {
        var backoff = RestartBackoff()
        #expect(backoff.recordDeath(lifetime: .milliseconds(10)) == .zero)
    }

    @Test func repeatedEarlyDeathsDoubleUpToTheCap() {
        var backoff = RestartBackoff(initial: .milliseconds(100), maximum: .seconds(1), healthyLifetime: .seconds(5))
        let waits = (0..<7).map { _ in backoff.recordDeath(lifetime: .milliseconds(10)) }
        #expect(waits == [.zero, .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        #expect(backoff.isCrashLooping)
    }

    @Test func aHealthyChildResetsTheCount() {
        var backoff = RestartBackoff(initial: .milliseconds(100), maximum: .seconds(1), healthyLifetime: .seconds(5))
        _ = backoff.recordDeath(lifetime: .zero)
        _ = backoff.recordDeath(lifetime: .zero)
        #expect(backoff.recordDeath(lifetime: .seconds(6)) == .zero)
        #expect(backoff.failures == 0)
        #expect(backoff.recordDeath(lifetime: .zero) == .zero)
        #expect(!backoff.isCrashLooping)
    }

    @Test func aChildThatFinishedAJobIsReplacedAtOnceHoweverYoung() {
        var backoff = RestartBackoff(initial: .milliseconds(100), maximum: .seconds(1), healthyLifetime: .seconds(5))
        let waits = (0..<5).map { _ in backoff.recordDeath(lifetime: .milliseconds(10), finishedJobs: true) }
        #expect(waits.allSatisfy { $0 == .zero })
        #expect(!backoff.isCrashLooping)
        // A poison job kills its children before they finish anything: that still backs off.
        _ = backoff.recordDeath(lifetime: .milliseconds(10))
        #expect(backoff.recordDeath(lifetime: .milliseconds(10)) == .milliseconds(100))
    }
}
