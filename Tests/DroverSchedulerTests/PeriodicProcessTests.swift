import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// Periodic entries fired by real `drover scheduler` processes: racing schedulers fire each tick
/// once, a scheduler killed with SIGKILL and started again honours the catch-up rule, and the
/// supervisor's `scheduler: true` child does the scheduler's work.
@Suite(.serialized) struct PeriodicProcessTests {
    /// An entry that fires every second (the optional seconds field), on queue `ticks`.
    static let everySecond = """
    periodic:
      - { name: beat, cron: "* * * * * *", job: builtin.noop, queue: ticks }
    """

    /// The ticks of the jobs queued on `ticks`, as their ids say (each id carries its tick).
    func firedTicks(_ h: SchedulerHarness) throws -> [Int64] {
        try h.queued("ticks").compactMap { JobID($0).periodicTick }
    }

    @Test func threeRacingSchedulersFireEveryTickExactlyOnce() throws {
        let h = try SchedulerHarness()
        let config = try h.config(Self.everySecond)
        let schedulers = try (0..<3).map { _ in try h.startScheduler(config: config) }
        try h.await("five ticks fired", timeout: .seconds(15)) { try h.queued("ticks").count >= 5 }
        for scheduler in schedulers { #expect(scheduler.terminate() == .exited(0)) }

        let ids = try h.queued("ticks")
        let ticks = ids.compactMap { JobID($0).periodicTick }.sorted()
        #expect(ticks.count == ids.count, "every id carries its tick: \(ids)")
        #expect(Set(ids).count == ids.count, "a job was queued twice: \(ids)")
        #expect(Set(ticks).count == ticks.count, "a tick fired twice: \(ticks)")
        // No tick between the first and the last was missed by all three.
        #expect(ticks.last! - ticks.first! == Int64(ticks.count - 1), "ticks \(ticks)")
        #expect(try h.store.periodicMarks()["beat"]?.tick == ticks.last)
    }

    @Test func aKilledSchedulerFiresYoungMissedTicksOnceAndSkipsOlderOnes() throws {
        let h = try SchedulerHarness()
        let config = try h.config(Self.everySecond + "\nscheduler: { catch_up: 2s }\n")
        let first = try h.startScheduler(config: config)
        try h.await("a first tick", timeout: .seconds(5)) { try h.store.periodicMarks()["beat"] != nil }
        first.terminate(signal: .kill)
        let lastBeforeKill = try #require(try h.store.periodicMarks()["beat"]).tick

        // The scenario is wall time passing with no scheduler up: about five ticks are missed.
        Thread.sleep(forTimeInterval: 5)
        let restartedAt = Timestamp.nowMilliseconds() / 1000
        let second = try h.startScheduler(config: config)
        try second.await("skipped", timeout: .seconds(5))
        try h.await("a tick after the restart", timeout: .seconds(5)) {
            (try h.store.periodicMarks()["beat"]?.tick ?? 0) > restartedAt
        }
        second.terminate()

        let ticks = try firedTicks(h).sorted()
        #expect(Set(ticks).count == ticks.count, "a tick fired twice: \(ticks)")
        let missed = ticks.filter { $0 > lastBeforeKill && $0 <= restartedAt }
        // Younger than the 2 s window (give or take the second the restart takes): fired once
        // each. Older: skipped, and said so in the log.
        #expect(!missed.isEmpty, "no missed tick was caught up: \(ticks), restart at \(restartedAt)")
        #expect(missed.allSatisfy { $0 >= restartedAt - 3 }, "a tick older than the window fired: \(missed), restart at \(restartedAt)")
        #expect(!ticks.contains(lastBeforeKill + 1), "the oldest missed tick should have been skipped: \(ticks)")
        #expect(second.seen.contains("older than the catch-up window"), "\(second.seen)")
    }

    @Test func aSupervisorWithSchedulerTrueForksASchedulerThatPromotesOnTime() throws {
        let h = try SchedulerHarness()
        let config = try h.config("""
        pools:
          - { name: main, queues: [default], concurrency: 1 }
        scheduler: true
        """)
        let master = try ChildProgram.start(try DroverBinary.path(), ["drover", "worker", "--config", config],
                                            environment: h.environment, awaiting: "scheduler ready")
        defer { master.terminate() }
        let base = Timestamp.nowMilliseconds() + 400
        var due: [JobID: Int64] = [:]
        for i in (0..<10).reversed() {
            let at = base + Int64(i) * 30
            due[try h.enqueue(runAt: at)] = at
        }
        try h.await("10 delayed jobs to finish", timeout: .seconds(10)) {
            try due.keys.allSatisfy { try h.store.job($0)?.state == .finished }
        }
        var lateness: [Int64] = []
        for (id, at) in due { lateness.append(try #require(try h.store.job(id)?.startedAt) - at) }
        lateness.sort()
        #expect(lateness.first! >= 0, "started early: \(lateness)")
        // An idle worker also promotes now and then (about once a second): a median far below
        // that shows the scheduler child did it.
        #expect(lateness[lateness.count / 2] < 250, "lateness \(lateness)")
        #expect(master.terminate() == .exited(0))
    }
}
