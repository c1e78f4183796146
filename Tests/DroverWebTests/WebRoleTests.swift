import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// The http child: `drover worker` forks it when the config has an `http:` section, and it lives
/// and dies with its master.
@Suite(.serialized)
struct WebRoleTests {
    /// Starts `drover worker` with an `http:` section listening on a free port; returns the
    /// master, the port and the http child's pid (from the supervisor's record).
    static func startSupervisor(_ redis: RedisServer, store: JobStore) async throws -> (ChildProgram, Int, Int32) {
        let config = redis.directory.appendingPathComponent("drover.yml").path
        try """
            pools: [{ name: main, queues: [beta], concurrency: 1 }]
            http: { listen: 127.0.0.1:0, open_reads: true }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let master = try ChildProgram.start(try DroverBinary.path(), ["drover", "worker", "--config", config],
                                            environment: WebCommandTests.environment(redis),
                                            awaiting: "drover web listening on http")
        let port = try WebCommandTests.port(master.seen)
        var child: Int32?
        try await eventually("the supervisor publishes its http child") {
            child = try store.supervisors().first?.children.first { $0.role == "http" && $0.state != "starting" }?.pid
            return child != nil
        }
        return (master, port, try #require(child))
    }

    static func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    @Test func theSupervisorForksTheHttpChildWhichServesAndStopsWithTheMaster() async throws {
        let redis = try RedisServer()
        let store = JobStore(client: redis.client())
        let (master, port, child) = try await Self.startSupervisor(redis, store: store)
        let health = try await HTTPTestClient(port: port, token: nil).get("/healthz")
        #expect(health.status == 200, "\(health)")
        let workers = try await HTTPTestClient(port: port, token: nil).get("/api/v1/workers")
        #expect(workers.body.contains("\"role\":\"http\""), "\(workers)")
        let status = master.terminate(signal: .term)
        #expect(status == .exited(0), "\(status): \(master.drain())")
        try await eventually("the http child exits with its master") { !Self.alive(child) }
    }

    @Test func theHttpChildExitsWhenItsMasterIsKilled() async throws {
        let redis = try RedisServer()
        let store = JobStore(client: redis.client())
        let (master, port, child) = try await Self.startSupervisor(redis, store: store)
        #expect(try await HTTPTestClient(port: port, token: nil).get("/healthz").status == 200)
        _ = master.terminate(signal: .kill)
        // PDEATHSIG, or the child's own getppid() check within a second.
        try await eventually("the orphaned http child exits", timeout: .seconds(5)) { !Self.alive(child) }
    }
    @Test func anHttpChildThatRefusesItsConfigIsNotRestartedAndThePoolsRunOn() async throws {
        let redis = try RedisServer()
        let store = JobStore(client: redis.client())
        let config = redis.directory.appendingPathComponent("drover.yml").path
        try """
            pools: [{ name: main, queues: [beta], concurrency: 1 }]
            http: { listen: 127.0.0.1:0, token_file: \(redis.directory.path)/missing.token }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let master = try ChildProgram.start(try DroverBinary.path(), ["drover", "worker", "--config", config],
                                            environment: WebCommandTests.environment(redis),
                                            awaiting: "refused its configuration (exit 78)")
        defer { master.terminate() }
        var options = JobOptions()
        options.queue = "beta"
        let id = try store.enqueue(EnqueueRequest(name: "builtin.noop", options: options)).id
        try await eventually("the pool's job to finish") { try store.job(id)?.state == .finished }
        let log = master.drain()
        #expect(log.components(separatedBy: "refused its configuration").count == 2, "restarted:\n\(log)")
    }
    @Test func theHttpChildReopensTheLogFileWhenTheMasterIsToldToAfterARotation() async throws {
        let redis = try RedisServer()
        let store = JobStore(client: redis.client())
        let config = redis.directory.appendingPathComponent("drover.yml").path
        let log = redis.directory.appendingPathComponent("drover.log").path
        try """
            pools: [{ name: main, queues: [beta], concurrency: 1 }]
            http: { listen: 127.0.0.1:0, open_reads: true }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let master = try ChildProgram.start(try DroverBinary.path(), ["drover", "worker", "--config", config, "--logfile", log],
                                            environment: WebCommandTests.environment(redis))
        defer { master.terminate() }
        var child: Int32?
        try await eventually("the supervisor publishes its http child") {
            child = try store.supervisors().first?.children.first { $0.role == "http" && $0.state != "starting" }?.pid
            return child != nil
        }
        let pid = try #require(child)
        func holds(_ path: String) -> Bool {
            let directory = "/proc/\(pid)/fd"
            let links = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return links.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0)) == path }
        }
        #expect(holds(log))
        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        master.send(.usr1)
        try await eventually("the http child to reopen the log") { holds(log) && !holds(log + ".1") }
        #expect(Self.alive(pid), "the HUP from the master must not kill the http child")
    }
}
