import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// A private redis-server, a store over it, and real `drover scheduler` (and `drover work`)
/// processes pointed at it.
final class SchedulerHarness {
    let server: RedisServer
    let client: RedisClient
    let store: JobStore
    private var programs: [ChildProgram] = []

    init() throws {
        server = try RedisServer()
        client = server.client()
        store = JobStore(client: client)
    }

    deinit {
        for program in programs { program.terminate(signal: .kill) }
    }

    /// The environment for a drover process: this server, no config from the developer's shell.
    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            key != "REDIS_URL" && key != "REDIS_PASSWORD" && !key.hasPrefix("DROVER_")
        }
        env["REDIS_URL"] = server.urlString
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }

    /// Writes a config file in the server's private directory and returns its path.
    func config(_ yaml: String, name: String = "drover.yml") throws -> String {
        let path = server.directory.appendingPathComponent(name).path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts `drover scheduler` and waits for its ready line.
    @discardableResult
    func startScheduler(config: String? = nil, extra: [String] = [], logLevel: String = "info") throws -> ChildProgram {
        var args = ["drover", "scheduler", "--log-level", logLevel] + extra
        if let config { args += ["--config", config] }
        let program = try ChildProgram.start(try DroverBinary.path(), args, environment: environment,
                                             awaiting: "scheduler ready")
        programs.append(program)
        return program
    }

    /// Starts `drover work QUEUES…`.
    @discardableResult
    func startWorker(_ queues: [String], extra: [String] = []) throws -> ChildProgram {
        let program = try ChildProgram.start(try DroverBinary.path(),
                                             ["drover", "work", "--log-level", "info"] + extra + queues,
                                             environment: environment, awaiting: "serving")
        programs.append(program)
        return program
    }

    /// Enqueues a job due at `runAt` (ms since the epoch).
    @discardableResult
    func enqueue(_ name: String = "builtin.noop", queue: String = "default", runAt: Int64? = nil,
                 _ configure: (inout JobOptions) -> Void = { _ in }) throws -> JobID {
        var options = JobOptions()
        options.queue = queue
        options.runAt = runAt
        configure(&options)
        return try store.enqueue(EnqueueRequest(name: name, options: options)).id
    }

    /// The queued ids of a queue (every priority level), in fetch order.
    func queued(_ queue: String) throws -> [String] {
        var ids: [String] = []
        for level in (try client.command("ZRANGE", store.keys.base + "prio:" + queue, "0", "-1").array ?? []).compactMap(\.string) {
            ids += (try client.command("LRANGE", store.keys.queue(queue, priority: Int(level) ?? 0), "0", "-1").array ?? [])
                .compactMap(\.string)
        }
        return ids
    }

    func scheduledCount(_ queue: String) throws -> Int {
        try client.command("ZCARD", store.keys.scheduled(queue)).int ?? -1
    }

    func dbsize() throws -> Int { try client.command("DBSIZE").int ?? -1 }

    func allKeys() throws -> [String] {
        (try client.command("KEYS", "*").array ?? []).compactMap(\.string).sorted()
    }

    /// Waits until `condition` holds, checking every 20 ms, or fails after `timeout`.
    func await(_ what: String, timeout: Duration = .seconds(10), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestFixtureError("timed out after \(timeout) waiting for \(what)")
    }
}
