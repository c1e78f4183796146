@testable import DroverQueue
import DroverCore
import DroverRedis
import DroverTestSupport
import Foundation
import Testing

@Suite struct SupervisorRegistryTests {
    func record(_ id: String, heartbeat: Int64) -> SupervisorRecord {
        SupervisorRecord(
            id: id, host: String(id.split(separator: ":")[0]), pid: Int32(id.split(separator: ":")[1]) ?? 0, name: nil,
            startedAt: heartbeat - 5000, heartbeatAt: heartbeat, status: "1 busy, 1 idle; 3 job(s) done; Redis ok", jobsDone: 3,
            pools: [.init(name: "default", queues: ["default", "low"], concurrency: 2)],
            children: [
                .init(pid: 11, pool: "default", role: "worker", state: "busy", jobID: "01JOB", jobStartedAt: heartbeat - 100,
                      jobsDone: 2, rssBytes: 9_000_000, startedAt: heartbeat - 4000),
                .init(pid: 12, pool: "default", role: "worker", state: "idle", jobsDone: 1, startedAt: heartbeat - 4000),
            ]
        )
    }

    @Test func recordsRoundTripAsSnakeCaseJSON() throws {
        let r = record("h1:42", heartbeat: 1_000_000)
        let json = r.json()
        #expect(json.contains(#""job_started_at":999900"#))
        #expect(json.contains(#""rss_bytes":9000000"#))
        #expect(SupervisorRecord(json: json) == r)
        #expect(SupervisorRecord(json: "{}") == nil)
        #expect(r.isStale(now: 1_000_000 + SupervisorRecord.staleAfterMilliseconds + 1))
        #expect(!r.isStale(now: 1_000_500))
    }

    /// The hand-written JSON is byte for byte what `JSONEncoder` (sorted keys, slashes as they
    /// are) writes, so readers that decode with `Codable` and tools that compare text both agree.
    @Test func recordJSONIsWhatJSONEncoderWrites() throws {
        var r = record("h1:42", heartbeat: 1_000_000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(r.json() == String(decoding: try encoder.encode(r), as: UTF8.self))
        r.name = "eu/west \"blue\"\tnode\u{1}\u{8}\u{C}\u{1B}\u{7F}\u{2028}é🐎\r\n"
        r.pools.append(.init(name: "p\\2", queues: [], concurrency: 0))
        r.children = []
        #expect(r.json() == String(decoding: try encoder.encode(r), as: UTF8.self))
        #expect(SupervisorRecord(json: r.json()) == r)
    }

    @Test func publishListsCountsAndDeliversCommandsOnce() throws {
        let h = try QueueHarness()
        let now: Int64 = 1_700_000_000_000
        #expect(try h.store.publish(record("b:2", heartbeat: now), increments: [], now: now) == [])
        _ = try h.store.publish(record("a:1", heartbeat: now),
                                increments: [.init(name: "child_restarts", pool: "default", value: 2)], now: now)
        #expect(try h.store.supervisors().map(\.id) == ["a:1", "b:2"])

        try h.store.send(.scale(pool: "default", delta: -1), toSupervisor: "a:1")
        try h.store.send(.shutdown, toSupervisor: "a:1")
        #expect(throws: QueueError.self) { try h.store.send(.shutdown, toSupervisor: "nobody:9") }
        let commands = try h.store.publish(record("a:1", heartbeat: now + 1000),
                                           increments: [.init(name: "child_restarts", pool: "default", value: 1),
                                                        .init(name: "hard_limit_kills", pool: "default", value: 1)],
                                           now: now + 1000)
        #expect(commands == [.scale(pool: "default", delta: -1), .shutdown])
        #expect(try h.store.publish(record("a:1", heartbeat: now + 2000), increments: [], now: now + 2000) == [])
        #expect(try h.store.supervisorCounters() == [
            .init(name: "child_restarts", pool: "default", value: 3),
            .init(name: "hard_limit_kills", pool: "default", value: 1),
        ])
    }

    @Test func pruneDropsOnlyTheSilentAndRemoveDropsOne() throws {
        let h = try QueueHarness()
        let now: Int64 = 1_700_000_000_000
        _ = try h.store.publish(record("old:1", heartbeat: now - 60_000), increments: [], now: now - 60_000)
        _ = try h.store.publish(record("new:2", heartbeat: now), increments: [], now: now)
        _ = try h.store.publish(record("gone:3", heartbeat: now), increments: [], now: now)
        try h.store.send(.shutdown, toSupervisor: "old:1")
        #expect(try h.store.pruneSupervisors(notSeenSince: now - 30_000) == 1)
        try h.store.removeSupervisor(id: "gone:3")
        #expect(try h.store.supervisors().map(\.id) == ["new:2"])
        #expect(try h.client.command("EXISTS", h.store.keys.control("old:1")).int == 0)
    }

    @Test func controlCommandsHaveAStableWireForm() {
        #expect(ControlCommand.scale(pool: "a\"b", delta: 3).json == #"{"command":"scale","delta":3,"pool":"a\"b"}"#)
        #expect(ControlCommand(json: ControlCommand.scale(pool: "a\"b", delta: -2).json) == .scale(pool: "a\"b", delta: -2))
        #expect(ControlCommand(json: #"{"command":"shutdown"}"#) == .shutdown)
        #expect(ControlCommand(json: #"{"command":"explode"}"#) == nil)
        #expect(ControlCommand(json: "not json") == nil)
    }
}
