import ArgumentParser
import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Foundation

/// `drover bench scheduler`: how late delayed jobs start and how late a burst is promoted, with
/// a real `drover scheduler` process (issue 5's figures).
///
/// - Start lateness: jobs due at times spread over 1–3 s run `builtin.stamp` in one of two idle
///   `drover work` processes; lateness is the stamp (µs, taken as the handler starts) minus the
///   due time.
/// - Promotion lateness: jobs all due at one instant, on a queue no worker serves; this process
///   watches the queue's length from its own connection in a tight loop, and the k-th job's
///   lateness is when the length first reached k, minus the due time (resolution: one round trip).
struct BenchSchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Benchmark delayed-job start lateness and burst promotion lateness (prints figures).",
        discussion: "Example:\n  REDIS_URL=unix:///tmp/r.sock drover bench scheduler --spread-jobs 1000 --burst-jobs 10000"
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Delayed jobs spread over 1–3 s, for start lateness.")
    var spreadJobs: Int = 1000

    @Option(help: "Jobs due at the same instant, for promotion lateness.")
    var burstJobs: Int = 10_000

    @Flag(help: "Print figures as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            var spawned: [ProcessID] = []
            defer {
                for pid in spawned { try? Posix.kill(pid, .term) }
                for pid in spawned { _ = try? Posix.wait(pid) }
            }
            spawned.append(try spawn(["scheduler", "--log-level", "error"]))
            for _ in 0..<2 { spawned.append(try spawn(["work", "bench-sched", "--log-level", "error"])) }
            // Both sides ready: a delayed probe needs the scheduler, and its stamp a worker.
            for _ in 0..<4 {
                let probe = try enqueue(store, queue: "bench-sched", name: "builtin.stamp", at: [Timestamp.nowMilliseconds() + 50])
                _ = try awaitStamps(probe, store: store)
            }

            var figures: [String: JSONValue] = [:]
            let start = try startLateness(store: store)
            let promotion = try promotionLateness(store: store)
            for (name, values) in [("start_lateness_ms", start), ("promotion_lateness_ms", promotion)] {
                figures[name + "_p50"] = .number(BenchSupport.percentile(values, 0.50))
                figures[name + "_p99"] = .number(BenchSupport.percentile(values, 0.99))
                figures[name + "_max"] = .number(values.last ?? 0)
            }
            if json {
                printJSON(.object(figures))
                return
            }
            print(String(format: "scheduler: start lateness, %d jobs due over 1–3 s, 2 idle workers: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                         start.count, BenchSupport.percentile(start, 0.5), BenchSupport.percentile(start, 0.99), start.last ?? 0))
            print(String(format: "scheduler: promotion lateness, %d jobs due at one instant: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                         promotion.count, BenchSupport.percentile(promotion, 0.5), BenchSupport.percentile(promotion, 0.99), promotion.last ?? 0))
        }
    }

    /// Start lateness in ms, sorted.
    private func startLateness(store: JobStore) throws -> [Double] {
        let first = Timestamp.nowMilliseconds() + 1000
        let due = (0..<spreadJobs).map { _ in first + Int64.random(in: 0..<2000) }
        let ids = try enqueue(store, queue: "bench-sched", name: "builtin.stamp", at: due)
        let stamps = try awaitStamps(ids, store: store)
        return zip(stamps, due).map { Double($0 - $1 * 1000) / 1000 }.sorted()
    }

    /// Promotion lateness in ms, sorted: when the queue's length first reached k, minus the due time.
    private func promotionLateness(store: JobStore) throws -> [Double] {
        let queue = "bench-promote"
        let list = store.keys.queue(queue, priority: 0)
        _ = try? store.client.command("DEL", list)
        // A whole second, at least 2 s away, so the enqueue is over well before it.
        let due = (Timestamp.nowMilliseconds() / 1000 + 3) * 1000
        _ = try enqueue(store, queue: queue, name: "builtin.noop", at: Array(repeating: due, count: burstJobs))
        var reachedAt: [Int64] = []  // µs at which the length first reached index + 1
        reachedAt.reserveCapacity(burstJobs)
        let deadline = MonotonicClock.now().advanced(by: .seconds(30))
        while reachedAt.count < burstJobs {
            if WallClock.nowMicroseconds() < due * 1000 - 2000 {
                usleep(500)
                continue
            }
            let length: Int
            do {
                length = try store.client.command("LLEN", list).int ?? 0
            } catch {
                throw QueueError(.unavailable, error.description, underlying: error)
            }
            let now = WallClock.nowMicroseconds()
            while reachedAt.count < min(length, burstJobs) { reachedAt.append(now) }
            if MonotonicClock.now() > deadline { throw failure("only \(reachedAt.count) of \(burstJobs) jobs were promoted within 30 s") }
        }
        _ = try? store.client.command("DEL", list)
        return reachedAt.map { Double($0 - due * 1000) / 1000 }.sorted()
    }

    /// Enqueues one job per due time (fire-and-forget: result_ttl 0) and returns their ids.
    private func enqueue(_ store: JobStore, queue: String, name: String, at due: [Int64]) throws -> [JobID] {
        var options = JobOptions()
        options.queue = queue
        options.resultTTL = name == "builtin.stamp" ? .seconds(60) : .zero
        let requests = due.map { at -> EnqueueRequest in
            var own = options
            own.runAt = at
            return EnqueueRequest(name: name, options: own)
        }
        return try store.enqueue(requests).map(\.id)
    }

    /// The µs at which each `builtin.stamp` job started, in the order of `ids`.
    private func awaitStamps(_ ids: [JobID], store: JobStore) throws -> [Int64] {
        let deadline = MonotonicClock.now().advanced(by: .seconds(60))
        var stamps: [Int64] = []
        for id in ids {
            while true {
                if let job = try store.job(id), job.state == .finished, let started = job.resultJSON.flatMap({ Int64($0) }) {
                    stamps.append(started)
                    break
                }
                if MonotonicClock.now() > deadline { throw failure("job \(id) did not run within 60 s") }
                usleep(2000)
            }
        }
        return stamps
    }

    private func spawn(_ command: [String]) throws -> ProcessID {
        var environment = ProcessHardening.childEnvironment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment.removeValue(forKey: "DROVER_CONFIG")
        // `drover scheduler` takes its prefix from the config or DROVER_PREFIX; `drover work` from --prefix.
        environment["DROVER_PREFIX"] = connection.resolvedPrefix
        var args = ["drover"] + command
        if command.first == "work" { args += ["--prefix", connection.resolvedPrefix] }
        if let url = connection.url { args += ["--url", url] }
        return try Spawn(path: BenchSupport.binary, arguments: args, environment: environment).run()
    }

    private func failure(_ message: String) -> CLIFailure {
        CLIFailure(status: ExitStatus.failure, message: "bench scheduler: \(message)")
    }
}
