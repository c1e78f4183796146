import DroverQueue
import Foundation

/// The workers' counts (`JobMetrics`, in the `metrics:Q` hashes) in the Prometheus text format:
/// runs started and ended by queue and job name, and the run-time and queue-wait histograms.
///
/// Written out by hand rather than through swift-prometheus: its histograms only take single
/// observations, while these are totals already bucketed in Redis by every worker of every host.
enum JobMetricsText {
    /// The text for every queue's counts.
    /// - Parameter metrics: queue → field → value, as `metrics:Q` holds them.
    static func render(_ metrics: [String: [String: Int]]) -> String {
        var enqueued: [(labels: String, value: Int)] = []
        var started: [(labels: String, value: Int)] = []
        var ended: [(labels: String, value: Int)] = []
        var histograms: [String: [Key: Histogram]] = ["duration": [:], "wait": [:]]
        for queue in metrics.keys.sorted() {
            for (field, value) in metrics[queue] ?? [:] {
                guard let space = field.firstIndex(of: " ") else { continue }
                let kind = String(field[..<space])
                let name = String(field[field.index(after: space)...])
                let key = Key(queue: queue, job: name)
                switch kind {
                case "enqueued":
                    enqueued.append((labels(key), value))
                case "started":
                    started.append((labels(key), value))
                case "finished", "failed", "retried", "canceled":
                    ended.append((labels(key) + ",outcome=\"\(kind)\"", value))
                case "duration_us", "wait_us":
                    let family = String(kind.dropLast(3))
                    histograms[family, default: [:]][key, default: Histogram()].sumMicroseconds += value
                default:
                    // `duration:I` or `wait:I`, bucket I; anything else is not ours.
                    let parts = kind.split(separator: ":")
                    guard parts.count == 2, histograms[String(parts[0])] != nil, let bucket = Int(parts[1]),
                          (0...JobMetrics.bucketBounds.count).contains(bucket) else { continue }
                    histograms[String(parts[0]), default: [:]][key, default: Histogram()].buckets[bucket] += value
                }
            }
        }
        var out = ""
        family(&out, "drover_job_enqueued_total", "counter",
               "Jobs enqueued, by queue and job name (periodic firings included).", enqueued)
        family(&out, "drover_job_runs_started_total", "counter",
               "Runs started, by queue and job name (counted by the workers, written about once a second).", started)
        family(&out, "drover_job_runs_ended_total", "counter",
               "Runs ended, by queue, job name and outcome (finished, failed, retried, canceled).", ended)
        let helps = [
            "duration": "How long runs took, from the handler's start to its end, by queue and job name.",
            "wait": "How long jobs waited from when they were due (enqueued, or their delay ended) to their first run's start.",
        ]
        for name in ["duration", "wait"] {
            let metric = "drover_job_\(name)_seconds"
            let series = histograms[name] ?? [:]
            guard !series.isEmpty else { continue }
            out += "# HELP \(metric) \(helps[name]!)\n# TYPE \(metric) histogram\n"
            for key in series.keys.sorted() {
                let histogram = series[key]!
                var cumulative = 0
                for (index, bound) in (JobMetrics.bucketBounds.map { String($0) } + ["+Inf"]).enumerated() {
                    cumulative += histogram.buckets[index]
                    out += "\(metric)_bucket{\(labels(key)),le=\"\(bound)\"} \(cumulative)\n"
                }
                out += "\(metric)_sum{\(labels(key))} \(Double(histogram.sumMicroseconds) / 1_000_000)\n"
                out += "\(metric)_count{\(labels(key))} \(cumulative)\n"
            }
        }
        return out
    }

    struct Key: Hashable, Comparable {
        var queue: String
        var job: String

        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.queue, lhs.job) < (rhs.queue, rhs.job) }
    }

    struct Histogram {
        var buckets = [Int](repeating: 0, count: JobMetrics.bucketBounds.count + 1)
        var sumMicroseconds = 0
    }

    private static func family(_ out: inout String, _ name: String, _ type: String, _ help: String,
                               _ samples: [(labels: String, value: Int)]) {
        guard !samples.isEmpty else { return }
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for sample in samples.sorted(by: { $0.labels < $1.labels }) { out += "\(name){\(sample.labels)} \(sample.value)\n" }
    }

    private static func labels(_ key: Key) -> String {
        "queue=\"\(escaped(key.queue))\",job=\"\(escaped(key.job))\""
    }

    /// A label value as the text format wants it: backslash, double quote and newline escaped.
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
