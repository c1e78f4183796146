import Foundation
internal import Yams

/// A pool of worker children serving some queues, one job per child at a time (README
/// "The supervisor"): `pools: [{ name, queues, concurrency, max_jobs, max_memory_mb,
/// soft_time_limit, time_limit }]`.
public struct PoolConfig: Sendable, Equatable {
    /// Unique among pools; used in logs, STATUS= and metrics.
    public var name: String
    /// Queues in strict priority order: a child takes from the first non-empty one.
    public var queues: [String]
    /// How many children, 1...1024.
    public var concurrency: Int
    /// Recycle a child after this many jobs (nil: never).
    public var maxJobs: Int?
    /// Recycle a child, after its current job, once its RSS passes this many MiB (nil: never).
    public var maxMemoryMB: Int?
    /// Cancel a job's task after this long, unless the job sets its own.
    public var softTimeLimit: TimeSpan?
    /// Kill a job's child after this long, unless the job sets its own.
    public var timeLimit: TimeSpan?

    /// The most children one pool may have. Past this, fork and memory costs dominate, and a
    /// typo (`concurrency: 40000`) should be caught rather than fork-bomb the host.
    public static let maximumConcurrency = 1024

    /// Creates a pool.
    /// - Parameters:
    ///   - name: the pool's name.
    ///   - queues: its queues, highest priority first.
    ///   - concurrency: the number of children.
    ///   - maxJobs: jobs before a child is recycled.
    ///   - maxMemoryMB: RSS in MiB before a child is recycled.
    ///   - softTimeLimit: the pool's soft limit.
    ///   - timeLimit: the pool's hard limit.
    public init(
        name: String, queues: [String], concurrency: Int, maxJobs: Int? = nil, maxMemoryMB: Int? = nil,
        softTimeLimit: TimeSpan? = nil, timeLimit: TimeSpan? = nil
    ) {
        self.name = name
        self.queues = queues
        self.concurrency = concurrency
        self.maxJobs = maxJobs
        self.maxMemoryMB = maxMemoryMB
        self.softTimeLimit = softTimeLimit
        self.timeLimit = timeLimit
    }

    /// The pool used with no config: `default`, serving queue `default`, one child per core.
    /// - Parameter cores: the number of cores (clamped to 1...1024).
    public static func defaultPool(cores: Int) -> PoolConfig {
        PoolConfig(name: "default", queues: ["default"], concurrency: min(max(cores, 1), maximumConcurrency))
    }

    static let keys = ["name", "queues", "concurrency", "max_jobs", "max_memory_mb", "soft_time_limit", "time_limit"]

    /// Reads one entry of `pools:`. Problems go to `reader`.
    static func read(_ node: Node, path: String, reader: inout ConfigReader) -> PoolConfig {
        var pool = defaultPool(cores: reader.cores)
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return pool }
        if let value = fields.required("name", &reader), let name = reader.simpleName(value, path: fields.path("name")) {
            pool.name = name
        }
        if let value = fields.required("queues", &reader),
           let queues = reader.nameList(value, path: fields.path("queues"), what: "queue", nonEmpty: true) {
            pool.queues = queues
        }
        if let value = fields["concurrency"],
           let concurrency = reader.int(value, path: fields.path("concurrency"), in: 1...maximumConcurrency) {
            pool.concurrency = concurrency
        }
        pool.maxJobs = fields["max_jobs"].flatMap { reader.positiveInt($0, path: fields.path("max_jobs")) }
        pool.maxMemoryMB = fields["max_memory_mb"].flatMap { reader.positiveInt($0, path: fields.path("max_memory_mb")) }
        (pool.softTimeLimit, pool.timeLimit) = reader.timeLimits(fields)
        return pool
    }
}

extension ConfigReader {
    /// Letters, digits, `_`, `-` and `.`: names that appear in logs, metrics labels and Redis
    /// keys without quoting.
    mutating func simpleName(_ node: Node, path: String) -> String? {
        guard let text = name(node, path: path) else { return nil }
        let allowed = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
        guard allowed else {
            report(.invalidValue, path, "\"\(text)\" may use only letters, digits, _, - and .", at: node)
            return nil
        }
        return text
    }

    /// `soft_time_limit` and `time_limit` of a mapping, checking that the hard limit is the
    /// later one: a soft limit at or past the hard one would never get the chance to fire.
    mutating func timeLimits(_ fields: ConfigFields) -> (soft: TimeSpan?, hard: TimeSpan?) {
        let soft = fields["soft_time_limit"].flatMap { timeSpan($0, path: fields.path("soft_time_limit")) }
        let hard = fields["time_limit"].flatMap { timeSpan($0, path: fields.path("time_limit")) }
        if let soft, let hard, hard <= soft {
            report(
                .invalidValue, fields.path("time_limit"),
                "must be longer than soft_time_limit (\(soft)), not \(hard)", at: fields["time_limit"]
            )
        }
        return (soft, hard)
    }
}
