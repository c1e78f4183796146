import ArgumentParser
import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Foundation

/// `drover bench supervisor`: the supervisor's figures (issue 4): how soon a dead child's
/// replacement runs a job, how late a hard time limit kills, the master's memory and its CPU
/// while idle, and no-op throughput through a supervised pool.
struct BenchSupervisorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supervisor",
        abstract: "Benchmark the supervisor: replacement time, hard-limit kill latency, master RSS and idle CPU.",
        discussion: "Example:\n  REDIS_URL=unix:///tmp/r.sock drover bench supervisor --idle-seconds 60"
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Children to SIGKILL, one at a time, timing each replacement.")
    var kills: Int = 30

    @Option(help: "Jobs killed at their hard time limit, one at a time.")
    var limitJobs: Int = 30

    @Option(help: "Hard time limit of those jobs, in milliseconds.")
    var limitMilliseconds: Int = 100

    @Option(help: "Seconds to measure the idle master's CPU.")
    var idleSeconds: Int = 60

    @Option(help: "No-op jobs for the throughput run (0 to skip).")
    var jobs: Int = 50_000

    @Flag(help: "Print figures as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            var figures: [String: JSONValue] = [:]
            func report(_ key: String, _ value: Double, _ line: String) {
                figures[key] = .number((value * 1000).rounded() / 1000)
                if !json { print(line) }
            }

            let master = try startMaster(queue: "bench-sup", concurrency: 1, store: store)
            defer { stop(master) }
            let rss = Double(try ProcessStats.residentMemoryBytes(of: master)) / 1_048_576
            report("master_rss_mib_started", rss, String(format: "supervisor: master RSS %.1f MiB once ready (1 child; just after it gave back its start-up pages)", rss))

            let (forked, running) = try replacements(master: master, store: store)
            report("replacement_forked_ms_p50", BenchSupport.percentile(forked, 0.5), "")
            report("replacement_forked_ms_p99", BenchSupport.percentile(forked, 0.99), "")
            report("replacement_job_started_ms_p50", BenchSupport.percentile(running, 0.5), "")
            report("replacement_job_started_ms_p99", BenchSupport.percentile(running, 0.99), "")
            report("replacement_job_started_ms_max", running.last ?? 0, String(format: """
                supervisor: child SIGKILLed (%d times): replacement forked after p50 %.2f ms, p99 %.2f ms; \
                it started the next job after p50 %.2f ms, p99 %.2f ms, max %.2f ms
                """, forked.count, BenchSupport.percentile(forked, 0.5), BenchSupport.percentile(forked, 0.99),
                BenchSupport.percentile(running, 0.5), BenchSupport.percentile(running, 0.99), running.last ?? 0))

            let late = try hardLimitLateness(store: store)
            report("hard_limit_late_ms_p50", BenchSupport.percentile(late, 0.5), "")
            report("hard_limit_late_ms_p99", BenchSupport.percentile(late, 0.99), "")
            report("hard_limit_late_ms_max", late.last ?? 0, String(format: """
                supervisor: hard limit %d ms (%d jobs): job ended (child killed, reaped, job failed in Redis) \
                p50 %.2f ms, p99 %.2f ms, max %.2f ms after its limit
                """, limitMilliseconds, late.count, BenchSupport.percentile(late, 0.5), BenchSupport.percentile(late, 0.99), late.last ?? 0))

            if jobs > 0 {
                // Interleaved with the same jobs through two standalone workers (what `bench work`
                // measures), so the supervisor's cost is read on one machine state, not across runs.
                var supervised: [Double] = []
                var standalone: [Double] = []
                for _ in 0..<2 {
                    supervised.append(try throughput(store: store, supervised: true))
                    standalone.append(try throughput(store: store, supervised: false))
                }
                let rate = supervised.reduce(0, +) / 2, alone = standalone.reduce(0, +) / 2
                report("noop_jobs_per_second_2_children", rate.rounded(), String(format: """
                    supervisor: %d no-op jobs through `drover worker --concurrency 2`: %.0f jobs/s (runs %.0f, %.0f); \
                    two standalone `drover work` processes, interleaved: %.0f jobs/s (%.0f, %.0f); ratio %.2f
                    """, jobs, rate, supervised[0], supervised[1], alone, standalone[0], standalone[1], rate / alone))
                report("noop_jobs_per_second_2_standalone", alone.rounded(), "")
                report("supervised_to_standalone_ratio", rate / alone, "")
            }
            let rssAfter = Double(try ProcessStats.residentMemoryBytes(of: master)) / 1_048_576
            report("master_rss_mib_after", rssAfter,
                   String(format: "supervisor: master RSS %.1f MiB after %d kills and %d limit kills", rssAfter, kills, limitJobs))

            let before = try ProcessStats.cpuSeconds(of: master)
            let start = MonotonicClock.now()
            usleep(UInt32(idleSeconds) * 1_000_000)
            let elapsed = seconds(since: start)
            let cpu = (try ProcessStats.cpuSeconds(of: master) - before) / elapsed * 100
            report("idle_master_cpu_percent", cpu, String(format: "supervisor: idle master CPU %.3f%% over %.0f s (1 idle child)", cpu, elapsed))
            // The figure an admin sees in `ps` once the master has settled: it gives back clean
            // pages that start-up and the kills above faulted in (Supervisor+Memory.swift).
            let rssIdle = Double(try ProcessStats.residentMemoryBytes(of: master)) / 1_048_576
            let pss = BenchSupport.proportionalSetMiB(of: master) ?? 0
            report("master_rss_mib_idle", rssIdle, String(format: "supervisor: master RSS %.1f MiB after %.0f s idle (PSS %.1f MiB)", rssIdle, elapsed, pss))
            report("master_pss_mib_idle", pss, "")
            if json { printJSON(.object(figures)) }
        }
    }

    // MARK: - Steps

    /// SIGKILLs the only child `kills` times; each time enqueues a stamp job at once and times
    /// the fork of the replacement (seen in `/proc`) and the moment it starts that job.
    private func replacements(master: ProcessID, store: JobStore) throws -> (forked: [Double], running: [Double]) {
        var forked: [Double] = []
        var running: [Double] = []
        var options = JobOptions()
        options.queue = "bench-sup"
        for _ in 0..<kills {
            let child = try awaitIdleChild(master: master, store: store, queue: "bench-sup")
            let killedAt = WallClock.nowMicroseconds()
            try Posix.kill(child, .kill)
            let id = try store.enqueue(EnqueueRequest(name: "builtin.stamp", options: options)).id
            // Polling /proc: the fork has no event the bench can wait on.
            let deadline = MonotonicClock.now().advanced(by: .seconds(10))
            while true {
                let now = ProcessStats.children(of: master)
                if now.contains(where: { $0 != child }) {
                    forked.append(Double(WallClock.nowMicroseconds() - killedAt) / 1000)
                    break
                }
                if MonotonicClock.now() > deadline { throw failure("no replacement child within 10 s") }
                usleep(100)
            }
            let started = try awaitStamp(id, store: store)
            running.append(Double(started - killedAt) / 1000)
        }
        return (forked.sorted(), running.sorted())
    }

    /// Runs `limitJobs` sleeps past a hard limit through a 1-child master; the lateness is the
    /// job's `ended_at` (written when the master has reaped the killed child and failed the job)
    /// minus `started_at` minus the limit.
    private func hardLimitLateness(store: JobStore) throws -> [Double] {
        var late: [Double] = []
        var options = JobOptions()
        options.queue = "bench-sup"
        options.maxAttempts = 1
        options.timeLimit = TimeSpan(milliseconds: Int64(limitMilliseconds))
        for _ in 0..<limitJobs {
            let id = try store.enqueue(EnqueueRequest(name: "builtin.sleep", argsJSON: #"{"seconds": 30}"#, options: options)).id
            let deadline = MonotonicClock.now().advanced(by: .seconds(30))
            while true {
                if let job = try store.job(id), job.state == .failed, let started = job.startedAt, let ended = job.endedAt {
                    late.append(Double(ended - started - Int64(limitMilliseconds)))
                    break
                }
                if MonotonicClock.now() > deadline { throw failure("a time-limited job did not fail within 30 s") }
                usleep(1000)
            }
        }
        return late.sorted()
    }

    /// Drains `jobs` no-ops through a second master with two children, or through two
    /// standalone `drover work` processes; both in burst mode, start-up included.
    private func throughput(store: JobStore, supervised: Bool) throws -> Double {
        var options = JobOptions()
        options.queue = "bench-sup-throughput"
        options.resultTTL = .zero
        _ = try store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop", options: options), count: jobs))
        let start = MonotonicClock.now()
        if supervised {
            let master = try spawnMaster(["bench-sup-throughput", "--concurrency", "2", "--burst"])
            _ = try Posix.wait(master)
        } else {
            let workers = try (0..<2).map { _ in try BenchSupport.spawnWorker(connection, ["bench-sup-throughput", "--burst"]) }
            for worker in workers { _ = try Posix.wait(worker) }
        }
        return Double(jobs) / seconds(since: start)
    }

    // MARK: - Processes

    private func spawnMaster(_ extra: [String]) throws -> ProcessID {
        var environment = ProcessHardening.childEnvironment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "DROVER_CONFIG")
        // `drover worker` takes its prefix from the config or DROVER_PREFIX.
        environment["DROVER_PREFIX"] = connection.resolvedPrefix
        var args = ["drover", "worker", "--log-level", "error"] + extra
        if let url = connection.url { args += ["--url", url] }
        return try Spawn(path: BenchSupport.binary, arguments: args, environment: environment).run()
    }

    private func startMaster(queue: String, concurrency: Int, store: JobStore) throws -> ProcessID {
        let master = try spawnMaster([queue, "--concurrency", String(concurrency)])
        _ = try awaitIdleChild(master: master, store: store, queue: queue)
        return master
    }

    private func stop(_ master: ProcessID) {
        try? Posix.kill(master, .term)
        _ = try? Posix.wait(master)
    }

    /// Waits until the master's record shows an idle child (it has connected and waits for work).
    private func awaitIdleChild(master: ProcessID, store: JobStore, queue: String) throws -> ProcessID {
        // A child reports idle only on its first beat; a stamp job proves it serves now.
        var options = JobOptions()
        options.queue = queue
        let probe = try store.enqueue(EnqueueRequest(name: "builtin.stamp", options: options)).id
        _ = try awaitStamp(probe, store: store)
        guard let job = try store.job(probe), let worker = job.worker,
              let pid = Int32(worker.split(separator: ":").last ?? "") else { throw failure("the probe job has no worker") }
        return ProcessID(rawValue: pid)
    }

    /// The µs at which a `builtin.stamp` job started.
    private func awaitStamp(_ id: JobID, store: JobStore) throws -> Int64 {
        let deadline = MonotonicClock.now().advanced(by: .seconds(30))
        while true {
            if let job = try store.job(id), job.state == .finished, let started = job.resultJSON.flatMap({ Int64($0) }) {
                return started
            }
            if MonotonicClock.now() > deadline { throw failure("job \(id) did not run within 30 s") }
            usleep(200)
        }
    }

    private func failure(_ message: String) -> CLIFailure {
        CLIFailure(status: ExitStatus.failure, message: "bench supervisor: \(message)")
    }

    private func seconds(since start: MonotonicClock.Instant) -> Double {
        let d = start.duration(to: MonotonicClock.now()).components
        return Double(d.seconds) + Double(d.attoseconds) / 1e18
    }
}
