import DroverCore
import DroverQueue
import Hummingbird
import Prometheus

/// What one scrape of `/metrics` shows, read from Redis in one visit to the pool.
///
/// Every number lives in Redis (the `stats:Q` hashes the Lua scripts bump, the supervisors'
/// records and the `counters` hash they add to once a second), so a scrape reports the same
/// totals whichever web process answers it, across restarts and summed over every host; this
/// process keeps no state of its own.
struct MetricsSnapshot: Sendable {
    var queues: [QueueCounts]
    var stats: [String: [String: Int]]
    var supervisors: [SupervisorRecord]
    var counters: [SupervisorCounter]
    /// ms since the epoch, for ages and staleness.
    var now: Int64

    /// Reads everything a scrape needs (four round trips, whatever the number of queues).
    static func read(_ store: JobStore) throws(QueueError) -> MetricsSnapshot {
        MetricsSnapshot(queues: try store.info(), stats: try store.queueStats(), supervisors: try store.supervisors(),
                        counters: try store.supervisorCounters(), now: Timestamp.nowMilliseconds())
    }
}

/// Turns a snapshot into the Prometheus text format with swift-prometheus.
///
/// A fresh registry per scrape: the totals are absolute values read from Redis, and
/// swift-prometheus counters only go up from zero, so each scrape makes its counters and adds
/// the stored total once. What is not exported, and why:
/// - jobs *started* and job *name* labels: the store counts per queue only (`stats:Q` has
///   enqueued, finished, failed, retried, canceled, lost, stale, requeued, emptied);
/// - duration and wait histograms: the store keeps no distribution, only per-job times in
///   registries that expire, from which no monotonic histogram can be rebuilt.
enum MetricsCollector {
    /// The `stats:Q` fields, each exported as `drover_jobs_<field>_total{queue}`.
    static let jobCounters: [(field: String, help: String)] = [
        ("enqueued", "Jobs enqueued (including delayed ones and periodic firings)."),
        ("finished", "Jobs that ended successfully."),
        ("failed", "Jobs that failed for good (attempts spent or a permanent error)."),
        ("retried", "Failed attempts scheduled for another try after backoff."),
        ("canceled", "Jobs canceled (queued, scheduled or while running)."),
        ("lost", "Jobs whose worker was lost mid-job (child or host gone); each went back to its queue or failed."),
        ("stale", "Results of a worker whose lease had already been taken over (a duplicate delivery), discarded."),
        ("requeued", "Failed or canceled jobs put back in their queue by an operator."),
        ("emptied", "Queued jobs removed by drover empty."),
    ]

    /// The supervisors' counters, as the supervisor names them.
    static let supervisorHelp: [String: String] = [
        "child_restarts": "Children restarted after an unexpected exit.",
        "hard_limit_kills": "Children killed (SIGKILL) at a job's hard time limit.",
        "soft_limit_signals": "Soft time limits signalled to a running job (SIGUSR1).",
        "memory_recycles": "Children replaced after a job because their RSS passed max_memory_mb.",
        "max_jobs_recycles": "Children replaced after max_jobs jobs.",
    ]

    static func text(_ snapshot: MetricsSnapshot) -> String {
        let registry = PrometheusCollectorRegistry()
        for queue in snapshot.queues {
            let states = [("queued", queue.queued), ("scheduled", queue.scheduled), ("started", queue.started),
                          ("finished", queue.finished), ("failed", queue.failed), ("canceled", queue.canceled)]
            for (state, count) in states {
                registry.makeGauge(name: "drover_queue_jobs", labels: [("queue", queue.name), ("state", state)],
                                   help: "Jobs of a queue by state now (queued is the queue's depth; finished, failed and canceled are the retained registries).")
                    .set(Double(count))
            }
            let age = queue.oldestQueuedAt.map { Double(max(0, snapshot.now - $0)) / 1000 } ?? 0
            registry.makeGauge(name: "drover_queue_oldest_job_age_seconds", labels: [("queue", queue.name)],
                               help: "Age of the job at the head of the queue (0 when the queue is empty).")
                .set(age)
        }
        for queue in snapshot.queues.map(\.name) {
            let fields = snapshot.stats[queue] ?? [:]
            for (field, help) in jobCounters {
                registry.makeCounter(name: "drover_jobs_\(field)_total", labels: [("queue", queue)], help: help)
                    .increment(by: Int64(max(0, fields[field] ?? 0)))
            }
        }
        var live = 0
        var stale = 0
        var children: [ChildKey: Int] = [:]
        for record in snapshot.supervisors {
            guard !record.isStale(now: snapshot.now) else {
                stale += 1
                continue
            }
            live += 1
            for child in record.children {
                children[ChildKey(pool: child.pool, role: child.role, state: child.state), default: 0] += 1
            }
        }
        for (state, count) in [("live", live), ("stale", stale)] {
            registry.makeGauge(name: "drover_supervisors", labels: [("state", state)],
                               help: "Supervisors (drover worker masters) registered: live, or not heard from for a while.")
                .set(Double(count))
        }
        for (key, count) in children.sorted(by: { $0.key < $1.key }) {
            registry.makeGauge(name: "drover_children", labels: [("pool", key.pool), ("role", key.role), ("state", key.state)],
                               help: "Child processes of the live supervisors by pool, role and state (busy, idle, starting, leaving).")
                .set(Double(count))
        }
        for counter in snapshot.counters {
            let name = "drover_" + sanitized(counter.name) + "_total"
            registry.makeCounter(name: name, labels: [("pool", counter.pool)],
                                 help: supervisorHelp[counter.name] ?? "Supervisor counter \(counter.name), summed over every host and restart.")
                .increment(by: Int64(max(0, counter.value)))
        }
        return registry.emitToString()
    }

    /// A metric name part: lower-case letters, digits and `_` only.
    static func sanitized(_ name: String) -> String {
        String(name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    struct ChildKey: Hashable, Comparable {
        var pool: String
        var role: String
        var state: String
        static func < (a: ChildKey, b: ChildKey) -> Bool { (a.pool, a.role, a.state) < (b.pool, b.role, b.state) }
    }
}

extension WebAPI {
    /// `GET /metrics`: 503 (with the JSON reason) when Redis is unreachable, rather than an
    /// empty page that a scraper would record as every series gone.
    func metricsText() async throws -> Response {
        let snapshot = try await pool.run { store in try MetricsSnapshot.read(store) }
        return Response.text(MetricsCollector.text(snapshot), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
