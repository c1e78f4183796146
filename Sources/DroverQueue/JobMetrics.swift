import DroverCore
import DroverRedis

/// Per queue and job name: runs started and how they ended, and the distributions of run time
/// and queue wait, as a worker adds them up between flushes to Redis (issue 7's metrics).
///
/// Why in the worker and not in the scripts: the finish-and-fetch script is what bounds a
/// worker's throughput, and a histogram costs several more `redis.call`s a job there. A worker
/// knows each run's name, queue and times anyway, so it counts in memory and adds its counts to
/// the `metrics:Q` hashes about once a second, in one pipelined round trip. The price: a worker
/// killed with SIGKILL loses at most its last second of counts (never a job).
///
/// Fields of `metrics:Q` (the job name last, since a name may hold spaces): `enqueued NAME`
/// (written by the enqueue paths themselves, one `HINCRBY` per batch and name), `started NAME`, `finished NAME`, `failed NAME`, `retried NAME`, `canceled NAME`;
/// `duration:I NAME` and `wait:I NAME`, the runs whose time fell in bucket I (not cumulative;
/// the exporter adds them up), and `duration_us NAME`, `wait_us NAME`, the sums in µs. Wait is
/// the time from when a job became due (enqueued, or its delay ended) to its start; it is known
/// for a job's first run only, so retries add to the duration histogram alone.
public struct JobMetrics: Sendable {
    /// The upper bounds of the histogram buckets, in seconds; a last bucket catches the rest.
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800]

    /// Counts not yet written: queue → field → amount.
    public private(set) var pending: [String: [String: Int]] = [:]

    /// No counts.
    public init() {}

    /// Whether there is nothing to write.
    public var isEmpty: Bool { pending.isEmpty }

    /// Counts a run that starts now.
    /// - Parameters:
    ///   - queue: its queue.
    ///   - name: the job's name.
    ///   - waitMicroseconds: how long it waited since it became due, when known.
    public mutating func started(queue: String, name: String, waitMicroseconds: Int64?) {
        add(queue, "started " + name, 1)
        if let wait = waitMicroseconds.map({ max(0, $0) }) {
            add(queue, "wait:\(Self.bucket(microseconds: wait)) " + name, 1)
            add(queue, "wait_us " + name, Int(wait))
        }
    }

    /// Counts how a run ended.
    /// - Parameters:
    ///   - queue: its queue.
    ///   - name: the job's name.
    ///   - outcome: `finished`, `failed`, `retried` or `canceled`.
    ///   - durationMicroseconds: how long the handler ran.
    public mutating func ended(queue: String, name: String, outcome: String, durationMicroseconds: Int64) {
        let duration = max(0, durationMicroseconds)
        add(queue, outcome + " " + name, 1)
        add(queue, "duration:\(Self.bucket(microseconds: duration)) " + name, 1)
        add(queue, "duration_us " + name, Int(duration))
    }

    /// Puts counts back (a flush failed: they are written with the next one).
    public mutating func merge(_ other: [String: [String: Int]]) {
        for (queue, fields) in other {
            for (field, amount) in fields { add(queue, field, amount) }
        }
    }

    /// Hands the counts over and starts from zero.
    public mutating func take() -> [String: [String: Int]] {
        defer { pending = [:] }
        return pending
    }

    /// The index of the bucket a time falls in: the first bound at or above it, else the last.
    public static func bucket(microseconds: Int64) -> Int {
        let seconds = Double(microseconds) / 1_000_000
        return bucketBounds.firstIndex { seconds <= $0 } ?? bucketBounds.count
    }

    private mutating func add(_ queue: String, _ field: String, _ amount: Int) {
        pending[queue, default: [:]][field, default: 0] += amount
    }
}

extension Keyspace {
    /// Job metrics of queue `q` (`JobMetrics`), a hash.
    public func metrics(_ q: String) -> String { base + "metrics:" + q }
}

extension JobStore {
    /// Adds a worker's counts to the `metrics:Q` hashes, in one pipelined round trip (each
    /// `HINCRBY` is a single-key command, so nothing here needs a script).
    /// - Throws: `QueueError` `.unavailable` or `.redis`; nothing is half-counted by a retry,
    ///   since the caller keeps its counts until a call succeeds (at worst a failed round trip
    ///   that did write is counted twice).
    public func addMetrics(_ counts: [String: [String: Int]]) throws(QueueError) {
        var commands: [RedisCommand] = []
        for (queue, fields) in counts {
            for (field, amount) in fields where amount != 0 {
                commands.append(RedisCommand("HINCRBY", keys.metrics(queue), field, String(amount)))
            }
        }
        guard !commands.isEmpty else { return }
        let replies: [RedisValue]
        do {
            replies = try client.pipeline(commands)
        } catch {
            throw QueueError(error)
        }
        for reply in replies {
            if case .error(let message) = reply { throw QueueError(.redis, "metrics: \(message)") }
        }
    }
}
