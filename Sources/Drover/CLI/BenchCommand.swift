import ArgumentParser
import DroverCore
import DroverQueue
import DroverRedis
import Foundation

/// `drover bench …`: figures for `Scripts/bench`, not a test. Each section measures one part of
/// Drover against the Redis server that `--url`/`REDIS_URL` names.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Drover against a Redis server (prints figures; see Scripts/bench).",
        subcommands: [BenchEnqueueCommand.self, BenchWorkCommand.self, BenchSupervisorCommand.self, BenchSchedulerCommand.self]
    )
}

/// `drover bench enqueue`: enqueue latency one at a time, and throughput in batches.
///
/// Writes only under its own key prefix (`drover-bench` unless `--prefix` says otherwise), which
/// it clears before and after each phase so Redis memory stays flat between phases.
struct BenchEnqueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Enqueue latency one at a time (p50/p90/p99/max) and batched throughput.",
        discussion: """
        Phase 1: --jobs sequential enqueues of a small job after --warmup untimed ones, each timed \
        alone (one round trip each). Phase 2: --batch-jobs distinct jobs (args {"n": i}, built \
        before timing) enqueued in calls of each --call-size requests; the store pipelines each call \
        in MULTI/EXEC transactions of --batch-size jobs.

        Example:
          drover bench enqueue --url unix:///tmp/r.sock --json
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Jobs enqueued one at a time, each timed.")
    var jobs: Int = 20_000

    @Option(help: "Untimed enqueues before the timed ones.")
    var warmup: Int = 2_000

    @Option(help: "Distinct jobs enqueued in each batched run.")
    var batchJobs: Int = 400_000

    @Option(parsing: .upToNextOption, help: "Requests per store.enqueue call in the batched runs (one run each).")
    var callSize: [Int] = [10_000, 100]

    @Option(help: "Jobs per MULTI/EXEC transaction inside a call.")
    var batchSize: Int = 100

    @Option(help: "The queue the jobs go to.")
    var queue: String = "bench"

    @Flag(help: "Print the figures as JSON.")
    var json = false

    func validate() throws {
        if jobs < 1 || warmup < 0 || batchJobs < 0 { throw ValidationError("--jobs must be at least 1; --warmup and --batch-jobs at least 0") }
        if callSize.isEmpty || callSize.contains(where: { $0 < 1 }) { throw ValidationError("--call-size must be at least 1") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        try reportingFailures {
            let options = try connection.clientOptions()
            let client = RedisClient(options: options)
            let prefix = connection.prefix ?? "drover-bench"
            let store = JobStore(client: client, prefix: prefix)
            let version = serverVersion(client)
            try clear(client, store.keys)

            // Phase 1: one at a time.
            var single = JobOptions()
            single.queue = queue
            let request = EnqueueRequest(name: "bench.noop", argsJSON: "{\"n\":1}", options: single)
            for _ in 0..<warmup { try store.enqueue(request) }
            var latencies = [Duration](repeating: .zero, count: jobs)
            let clock = ContinuousClock()
            let phaseStart = clock.now
            for index in 0..<jobs {
                let start = clock.now
                try store.enqueue(request)
                latencies[index] = clock.now - start
            }
            let singleSeconds = seconds(clock.now - phaseStart)
            latencies.sort()
            let one = SingleFigures(jobs: jobs, latencies: latencies, seconds: singleSeconds)
            try clear(client, store.keys)

            // Phase 2: batched, distinct jobs built before timing.
            var batched: [BatchFigures] = []
            if batchJobs > 0 {
                let requests = (0..<batchJobs).map { n in
                    EnqueueRequest(name: "bench.noop", argsJSON: "{\"n\":\(n)}", options: single)
                }
                for size in callSize {
                    let start = clock.now
                    var position = 0
                    while position < requests.count {
                        let end = min(position + size, requests.count)
                        _ = try store.enqueue(Array(requests[position..<end]), batchSize: batchSize)
                        position = end
                    }
                    let elapsed = seconds(clock.now - start)
                    let queued = try store.info().first { $0.name == queue }?.queued ?? 0
                    if queued != batchJobs {
                        throw CLIFailure(status: ExitStatus.failure,
                                         message: "bench: \(queued) jobs queued after enqueueing \(batchJobs)")
                    }
                    batched.append(BatchFigures(jobs: batchJobs, callSize: size, batchSize: batchSize, seconds: elapsed))
                    try clear(client, store.keys)
                }
            }

            if json {
                printJSON(.object([
                    "redis": .string(options.url.description), "redis_version": .string(version), "prefix": .string(prefix),
                    "one_at_a_time": one.json, "batched": .array(batched.map(\.json)),
                ]))
            } else {
                print("drover bench enqueue: redis \(version) at \(options.url), prefix \(prefix)")
                print(one.text)
                for figures in batched { print(figures.text) }
            }
        }
    }

    /// Deletes every key under the bench prefix (SCAN, then UNLINK so Redis frees memory aside).
    private func clear(_ client: RedisClient, _ keys: Keyspace) throws {
        do {
            var cursor = "0"
            repeat {
                let reply = try client.command(RedisCommand("SCAN", cursor, "MATCH", keys.base + "*", "COUNT", "1000"))
                guard let parts = reply.array, parts.count == 2, let next = parts[0].string else {
                    throw CLIFailure(status: ExitStatus.failure, message: "bench: unexpected SCAN reply")
                }
                cursor = next
                let found = (parts[1].array ?? []).compactMap(\.string)
                if !found.isEmpty {
                    var unlink = RedisCommand("UNLINK")
                    for key in found { unlink.append(key) }
                    _ = try client.command(unlink)
                }
            } while cursor != "0"
        } catch let error as RedisError {
            throw QueueError(error.isUnavailable ? .unavailable : .redis, error.description, underlying: error)
        }
    }

    private func serverVersion(_ client: RedisClient) -> String {
        guard let info = try? client.command("INFO", "server").string else { return "?" }
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("redis_version:") {
            return String(line.dropFirst("redis_version:".count))
        }
        return "?"
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

private func milliseconds(_ duration: Duration) -> Double {
    seconds(duration) * 1000
}

/// One-at-a-time figures from sorted latencies.
private struct SingleFigures {
    var jobs: Int
    var p50: Double
    var p90: Double
    var p99: Double
    var max: Double
    var mean: Double
    var rate: Double

    init(jobs: Int, latencies sorted: [Duration], seconds total: Double) {
        // Nearest rank: the smallest latency at or above which p of the samples lie.
        func percentile(_ p: Double) -> Double {
            milliseconds(sorted[Swift.max(0, Swift.min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))])
        }
        self.jobs = jobs
        p50 = percentile(0.50)
        p90 = percentile(0.90)
        p99 = percentile(0.99)
        max = milliseconds(sorted[sorted.count - 1])
        mean = sorted.reduce(0.0) { $0 + milliseconds($1) } / Double(sorted.count)
        rate = total > 0 ? Double(jobs) / total : 0
    }

    var json: JSONValue {
        .object(["jobs": .number(Double(jobs)), "p50_ms": .number(round3(p50)), "p90_ms": .number(round3(p90)),
                 "p99_ms": .number(round3(p99)), "max_ms": .number(round3(max)), "mean_ms": .number(round3(mean)),
                 "jobs_per_second": .number(rate.rounded())])
    }

    var text: String {
        "one at a time   \(jobs) jobs: p50 \(ms(p50))  p90 \(ms(p90))  p99 \(ms(p99))  max \(ms(max))  "
            + "(mean \(ms(mean)))  \(Int(rate.rounded())) jobs/s"
    }
}

/// Batched throughput figures.
private struct BatchFigures {
    var jobs: Int
    var callSize: Int
    var batchSize: Int
    var seconds: Double

    var rate: Double { seconds > 0 ? Double(jobs) / seconds : 0 }

    var json: JSONValue {
        .object(["jobs": .number(Double(jobs)), "call_size": .number(Double(callSize)),
                 "batch_size": .number(Double(batchSize)), "seconds": .number(round3(seconds)),
                 "jobs_per_second": .number(rate.rounded())])
    }

    var text: String {
        "batched         \(jobs) distinct jobs in calls of \(callSize) (transactions of \(batchSize)): "
            + "\(String(format: "%.3f", seconds)) s, \(Int(rate.rounded())) jobs/s"
    }
}

private func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
private func ms(_ value: Double) -> String { String(format: "%.3f ms", value) }
