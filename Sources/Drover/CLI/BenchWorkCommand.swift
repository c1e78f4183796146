import ArgumentParser
import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Foundation

/// `drover bench work`: processing throughput of no-op jobs through 1 and 2 worker processes,
/// Redis round trips per job, and enqueue-to-start latency into an idle worker.
struct BenchWorkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Benchmark worker throughput and enqueue-to-start latency (prints figures).",
        discussion: "Example:\n  REDIS_URL=unix:///tmp/r.sock drover bench work --jobs 50000"
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "No-op jobs per throughput run.")
    var jobs: Int = 50_000

    @Option(help: "Jobs for the latency run (one at a time into an idle worker).")
    var latencyJobs: Int = 1000

    @Flag(help: "Print figures as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            var figures: [String: JSONValue] = [:]
            for children in [1, 2] {
                let (rate, roundTrips) = try throughput(store: store, children: children)
                figures["noop_jobs_per_second_\(children)_children"] = .number(rate.rounded())
                figures["round_trips_per_job_\(children)_children"] = .number((roundTrips * 100).rounded() / 100)
                if !json {
                    print(String(format: "work: %d child(ren): %8.0f no-op jobs/s, %.2f Redis round trips per job", children, rate, roundTrips))
                }
            }
            let latencies = try latency(store: store)
            let p50 = BenchSupport.percentile(latencies, 0.50), p99 = BenchSupport.percentile(latencies, 0.99), worst = latencies.last ?? 0
            figures["start_latency_ms_p50"] = .number(p50 / 1000)
            figures["start_latency_ms_p99"] = .number(p99 / 1000)
            figures["start_latency_ms_max"] = .number(worst / 1000)
            if json {
                printJSON(.object(figures))
            } else {
                print(String(format: "work: enqueue-to-start latency into an idle worker (%d jobs): p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                             latencies.count, p50 / 1000, p99 / 1000, worst / 1000))
            }
        }
    }

    /// Enqueues `jobs` no-ops, then times `children` burst workers draining them.
    private func throughput(store: JobStore, children: Int) throws -> (Double, Double) {
        var options = JobOptions()
        options.queue = "bench-work"
        options.resultTTL = .zero
        var left = jobs
        while left > 0 {
            let chunk = min(left, 10_000)
            _ = try store.enqueue(Array(repeating: EnqueueRequest(name: "builtin.noop", options: options), count: chunk))
            left -= chunk
        }
        let before = try roundTrips(store)
        let started = MonotonicClock.now()
        let pids = try (0..<children).map { _ in try BenchSupport.spawnWorker(connection, ["bench-work", "--burst"]) }
        for pid in pids { _ = try Posix.wait(pid) }
        let seconds = Double(started.duration(to: MonotonicClock.now()).components.attoseconds) / 1e18
            + Double(started.duration(to: MonotonicClock.now()).components.seconds)
        let after = try roundTrips(store)
        return (Double(jobs) / seconds, Double(after - before) / Double(jobs))
    }

    /// Client round trips Redis served: every command a client sent (commands run inside
    /// scripts are counted under their script's call, not here).
    private func roundTrips(_ store: JobStore) throws -> Int {
        let info = try store.client.command("INFO", "commandstats").string ?? ""
        var total = 0
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_evalsha:") || line.hasPrefix("cmdstat_blpop:")
            || line.hasPrefix("cmdstat_script|load:") || line.hasPrefix("cmdstat_ping:") {
            if let calls = line.split(separator: "=").dropFirst().first?.split(separator: ",").first, let n = Int(calls) {
                total += n
            }
        }
        return total
    }

    /// Enqueues `builtin.stamp` jobs one at a time into an idle worker; each returns the µs at
    /// which it started.
    private func latency(store: JobStore) throws -> [Double] {
        let worker = try BenchSupport.spawnWorker(connection, ["bench-latency"])
        defer {
            try? Posix.kill(worker, .term)
            _ = try? Posix.wait(worker)
        }
        var options = JobOptions()
        options.queue = "bench-latency"
        // Let the worker reach its idle wait in Redis before timing anything.
        _ = try store.enqueue(EnqueueRequest(name: "builtin.noop", options: options))
        usleep(300_000)
        var sent: [(JobID, Int64)] = []
        for _ in 0..<latencyJobs {
            let now = WallClock.nowMicroseconds()
            let id = try store.enqueue(EnqueueRequest(name: "builtin.stamp", options: options)).id
            sent.append((id, now))
            usleep(3_000)  // idle again before the next one: this measures a cold start
        }
        var latencies: [Double] = []
        let deadline = MonotonicClock.now().advanced(by: .seconds(30))
        for (id, at) in sent {
            while true {
                if let job = try store.job(id), job.state == .finished, let started = job.resultJSON.flatMap({ Int64($0) }) {
                    latencies.append(Double(started - at))
                    break
                }
                if MonotonicClock.now() > deadline { throw CLIFailure(status: ExitStatus.failure, message: "latency jobs did not finish") }
                usleep(1_000)
            }
        }
        return latencies.sorted()
    }
}
