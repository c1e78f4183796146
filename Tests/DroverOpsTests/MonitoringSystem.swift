import DroverCore
import DroverQueue
import DroverSystem
import DroverTestSupport
import Foundation
import Testing

/// A real system for the monitoring commands: a private redis-server holding jobs in every state
/// (queued, scheduled, started, finished, failed, canceled), made by the real binary
/// (`drover enqueue`, `drover work --burst`, `drover cancel`) and one `drover work` process that
/// keeps a job running.
final class MonitoringSystem {
    let server: RedisServer
    let store: JobStore
    private var runner: ChildProgram?
    /// Ids by the state they were left in.
    private(set) var ids: [String: [String]] = [:]

    init() throws {
        server = try RedisServer()
        store = JobStore(client: server.client())
    }

    deinit {
        // SIGKILL: `drover work` would otherwise finish its 60 s job first.
        runner?.terminate(signal: .kill)
    }

    /// Runs `drover ARGUMENTS…` against this server.
    func drover(_ arguments: String..., environment: [String: String] = [:]) throws -> DroverRun {
        try drover(arguments, environment: environment)
    }

    func drover(_ arguments: [String], environment: [String: String] = [:]) throws -> DroverRun {
        var env = ["REDIS_URL": server.urlString, "TZ": "UTC"]
        env.merge(environment) { _, new in new }
        return try DroverBinary.run(arguments, environment: env)
    }

    /// `drover ARGUMENTS… --json`, expecting exit 0, a quiet stderr and one JSON line.
    func json(_ arguments: String...) throws -> [String: Any] {
        let run = try drover(arguments + ["--json"])
        try #require(run.exitCode == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        #expect(run.line.split(separator: "\n").count == 1, "--json prints one line: \(run)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
    }

    func enqueue(_ arguments: String...) throws -> String {
        let run = try drover(["enqueue"] + arguments)
        try #require(run.exitCode == 0, "\(run)")
        return String(run.stdout.prefix { $0 != " " && $0 != "\n" })
    }

    /// alpha: 2 finished, 1 failed ("boom"), 2 queued, 1 scheduled, 1 canceled; beta: 1 started.
    func fillEveryState() throws {
        ids["finished"] = [try enqueue("builtin.noop", "--queue", "alpha"), try enqueue("builtin.noop", "--queue", "alpha")]
        ids["failed"] = [try enqueue("builtin.fail", "--queue", "alpha", "--args", #"{"message": "boom"}"#, "--max-attempts", "1")]
        let burst = try drover("work", "alpha", "--burst")
        try #require(burst.exitCode == 0, "\(burst)")
        ids["queued"] = [try enqueue("builtin.noop", "--queue", "alpha"), try enqueue("builtin.noop", "--queue", "alpha")]
        ids["scheduled"] = [try enqueue("builtin.noop", "--queue", "alpha", "--in", "10m")]
        let canceled = try enqueue("builtin.noop", "--queue", "alpha")
        try #require(try drover("cancel", canceled).exitCode == 0)
        ids["canceled"] = [canceled]

        var environment = ProcessInfo.processInfo.environment.filter { key, _ in !key.hasPrefix("DROVER_") }
        environment["REDIS_URL"] = server.urlString
        environment["SWIFT_BACKTRACE"] = "enable=no"
        runner = try ChildProgram.start(try DroverBinary.path(), ["drover", "work", "beta"], environment: environment,
                                        awaiting: "serving beta")
        let started = try enqueue("builtin.sleep", "--queue", "beta", "--args", #"{"seconds": 60}"#)
        ids["started"] = [started]
        try awaitState(started, "started")
    }

    /// Polls the store until the job is in `state`.
    func awaitState(_ id: String, _ state: String, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try store.job(JobID(id))?.state.rawValue == state { return }
            usleep(20_000)
        }
        throw TestFixtureError("job \(id) did not reach \(state) within \(timeout)")
    }

    /// A supervisor record as a master publishes it (the master's side of the registry API):
    /// pool default with one busy child running `jobID` for `busyFor` ms and one idle child.
    @discardableResult
    func publishSupervisor(host: String = "web-1", pid: Int32 = 4242, jobID: String, busyFor: Int64 = 12_000,
                           heartbeatAge: Int64 = 0) throws -> SupervisorRecord {
        let now = Timestamp.nowMilliseconds()
        let record = SupervisorRecord(
            id: "\(host):\(pid)", host: host, pid: pid, name: nil, startedAt: now - 3_600_000, heartbeatAt: now - heartbeatAge,
            status: "1 busy, 1 idle; 40 job(s) done; Redis ok", jobsDone: 40,
            pools: [.init(name: "default", queues: ["high", "default"], concurrency: 2)],
            children: [
                .init(pid: pid + 1, pool: "default", role: "worker", state: "busy", jobID: jobID, jobStartedAt: now - busyFor,
                      jobsDone: 25, rssBytes: 44_040_192, startedAt: now - 3_000_000),
                .init(pid: pid + 2, pool: "default", role: "worker", state: "idle", jobsDone: 15, rssBytes: 40_000_000,
                      startedAt: now - 3_000_000),
            ])
        _ = try store.publish(record, increments: [], now: now - heartbeatAge)
        return record
    }

    /// Control commands waiting for a supervisor, as its master would read them.
    func pendingControl(_ id: String) throws -> [String] {
        (try server.client().command("LRANGE", store.keys.control(id), "0", "-1").array ?? []).compactMap(\.string)
    }
}

/// Checks every line of human output: at most 80 columns, and no escape codes (stdout is a pipe
/// in these tests, so colours must be off).
func expectPlainAndNarrow(_ run: DroverRun, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(run.exitCode == 0, "\(run)", sourceLocation: sourceLocation)
    #expect(!run.stdout.contains("\u{1B}"), "escape codes on a pipe:\n\(run.stdout)", sourceLocation: sourceLocation)
    for line in run.stdout.split(separator: "\n") {
        #expect(line.count <= 80, "\(line.count) columns: \(line)", sourceLocation: sourceLocation)
    }
}
