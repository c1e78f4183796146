import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import DroverTestSupport
import Foundation

/// The built `drover` binary beside the test bundle, run as worker processes against a private
/// redis-server.
struct WorkerHarness {
    let server: RedisServer
    let store: JobStore

    /// - Parameter password: the server's `requirepass`, if any.
    init(password: String? = nil) throws {
        server = try RedisServer(arguments: password.map { ["--requirepass", $0] } ?? [])
        store = JobStore(client: server.client(password: password))
    }

    static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var dir = bundle
        // The xctest may be a bundle directory on some layouts: walk up to where `drover` is.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("drover").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return bundle.appendingPathComponent("drover").path
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["REDIS_URL"] = server.urlString
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }

    /// Starts `drover work ARGS…` and waits until it serves.
    func worker(_ arguments: [String], environment: [String: String]? = nil) throws -> ChildProgram {
        try ChildProgram.start(Self.binary, ["drover", "work"] + arguments, environment: environment ?? self.environment,
                               awaiting: "serving")
    }

    /// Waits until a program has written its pid to `path`.
    func waitForPID(in path: String, timeout: Duration = .seconds(5)) throws -> ProcessID {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return ProcessID(rawValue: pid)
            }
            usleep(10_000)
        }
        throw TestFixtureError("no pid in \(path) after \(timeout)")
    }

    func enqueue(_ name: String, args: String = "{}", _ configure: (inout JobOptions) -> Void = { _ in }) throws -> JobID {
        var options = JobOptions()
        configure(&options)
        return try store.enqueue(EnqueueRequest(name: name, argsJSON: args, options: options)).id
    }

    /// The `metrics:Q` hash of a queue (the worker's counts for `/metrics`).
    func metrics(_ queue: String) throws -> [String: Int] {
        let flat = (try store.client.command("HGETALL", store.keys.metrics(queue)).array ?? []).compactMap(\.string)
        var fields: [String: Int] = [:]
        var index = 0
        while index + 1 < flat.count {
            fields[flat[index]] = Int(flat[index + 1])
            index += 2
        }
        return fields
    }

    func job(_ id: JobID) throws -> Job {
        guard let job = try store.job(id) else { throw TestFixtureError("no job \(id)") }
        return job
    }

    /// Polls the job until `condition` holds (an event in Redis; bounded by `timeout`).
    @discardableResult
    func waitFor(_ id: JobID, timeout: Duration = .seconds(10), _ condition: (Job) -> Bool) throws -> Job {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let job = try store.job(id), condition(job) { return job }
            if ContinuousClock.now > deadline {
                throw TestFixtureError("job \(id) never met the condition; last: \(String(describing: try store.job(id)))")
            }
            usleep(5_000)
        }
    }
}
