import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import DroverTestSupport
import Foundation

/// The real `drover worker` master, started as an operator starts it, against a private
/// redis-server, with a real notify socket.
final class SupervisorHarness {
    let server: RedisServer
    let store: JobStore
    let notify: NotifySocket
    var master: ChildProgram?
    /// Added to the master's environment (`WATCHDOG_USEC` …).
    var extraEnvironment: [String: String] = [:]

    init() throws {
        server = try RedisServer()
        store = JobStore(client: server.client())
        notify = try NotifySocket()
    }

    deinit {
        // No test leaves a master behind: QUIT kills its children, then it exits; a master that
        // does not exit in 5 s is killed (its children die with it through PDEATHSIG).
        guard let master else { return }
        master.send(.quit)
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if Self.hasExited(master.pid) {
                _ = master.waitForExit()
                return
            }
            usleep(5000)
        }
        _ = master.terminate(signal: .kill)
    }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            key != "REDIS_URL" && key != "REDIS_PASSWORD" && !key.hasPrefix("DROVER_") && key != "NOTIFY_SOCKET"
                && !key.hasPrefix("WATCHDOG_")
        }
        env["REDIS_URL"] = server.urlString
        env["SWIFT_BACKTRACE"] = "enable=no"
        env["NOTIFY_SOCKET"] = notify.path
        env.merge(extraEnvironment) { _, new in new }
        return env
    }

    /// Starts `drover worker ARGUMENTS…` (not waiting for anything).
    @discardableResult
    func start(_ arguments: [String]) throws -> ChildProgram {
        // Debug logs: tests await the master's lines (a job seen started, a child up).
        let program = try ChildProgram.start(try DroverBinary.path(), ["drover", "worker", "--log-level", "debug"] + arguments,
                                             environment: environment)
        master = program
        return program
    }

    /// Writes a config file in the notify socket's private directory.
    func configFile(_ yaml: String) throws -> String {
        let path = notify.directory + "/drover.yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Whether `pid` has exited (a zombie waiting to be reaped, or gone), from /proc, without
    /// reaping it: ChildProgram reaps its own.
    static func hasExited(_ pid: ProcessID) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[close...].dropFirst(2).first == "Z"
    }

    /// Waits until the master has read the child's `start` line for `id` (its debug log says so).
    ///
    /// Redis shows a job `started` as soon as the fetch commits, a moment before the child
    /// writes `start` to its pipe; a child killed in that window leaves its job to lease expiry,
    /// by design. Tests that kill a child mid-job wait for this first. (Not STATUS=: it is sent
    /// at most once a second, so a short busy spell may never show.)
    func awaitMasterSees(_ id: JobID) throws {
        guard let master else { throw TestFixtureError("no master") }
        try master.await("started job \(id)")
    }

    /// Starts a one-child master and gives it a 30 s job, returning once the master knows the
    /// child is running it: the common start of the signal and stop tests.
    func startWithALongJob() throws -> (master: ChildProgram, id: JobID) {
        let master = try start(["--concurrency", "1"])
        try notify.await("READY=1")
        let id = try enqueue("builtin.sleep", args: #"{"seconds": 30}"#)
        try waitFor(id, "started") { $0.state == .started }
        try awaitMasterSees(id)
        return (master, id)
    }

    /// Waits until `pid` is gone and reaped (a zombie still accepts signal 0).
    func waitUntilGone(_ pid: ProcessID, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while (try? Posix.kill(pid, Signal(rawValue: 0))) != nil {
            if ContinuousClock.now > deadline { throw TestFixtureError("process \(pid) still there after \(timeout)") }
            usleep(2000)
        }
    }

    /// Waits until the file at `path` contains `text`.
    func waitForFile(_ path: String, containing text: String, timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        while !((try? String(contentsOfFile: path, encoding: .utf8))?.contains(text) ?? false) {
            if ContinuousClock.now > deadline { throw TestFixtureError("\(path) has no \"\(text)\" after \(timeout)") }
            usleep(5000)
        }
    }

    func enqueue(_ name: String, args: String = "{}", _ configure: (inout JobOptions) -> Void = { _ in }) throws -> JobID {
        var options = JobOptions()
        configure(&options)
        return try store.enqueue(EnqueueRequest(name: name, argsJSON: args, options: options)).id
    }

    /// Polls the job until `condition` holds (an event in Redis, bounded by `timeout`; polls
    /// every 2 ms so measured latencies are not the poll interval).
    @discardableResult
    func waitFor(_ id: JobID, timeout: Duration = .seconds(15), _ what: String = "condition",
                 _ condition: (Job) -> Bool) throws -> Job {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let job = try store.job(id), condition(job) { return job }
            if ContinuousClock.now > deadline {
                throw TestFixtureError("job \(id): \(what) not reached within \(timeout); now \(String(describing: try store.job(id)))")
            }
            usleep(2000)
        }
    }

    /// The pid of the child that holds `job` (its `worker` field is `host:pid`).
    static func childPID(of job: Job) throws -> ProcessID {
        guard let worker = job.worker, let pid = Int32(worker.split(separator: ":").last ?? "") else {
            throw TestFixtureError("job \(job.id) has no worker pid: \(String(describing: job.worker))")
        }
        return ProcessID(pid)
    }
}
