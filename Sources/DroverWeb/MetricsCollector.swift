import DroverCore
import DroverQueue
import Hummingbird
import Prometheus
import Synchronization

/// What one scrape of `/metrics` shows, read from Redis in one visit to the pool.
///
/// Every number lives in Redis (the `stats:Q` hashes the Lua scripts bump, the supervisors'
/// records and the `counters` hash they add to once a second), so a scrape reports the same
/// totals whichever web process answers it, across restarts and summed over every host; this
/// process counts nothing itself.
struct MetricsSnapshot: Sendable {
    var queues: [QueueCounts]
    var stats: [String: [String: Int]]
    var supervisors: [SupervisorRecord]
    var counters: [SupervisorCounter]
    /// The workers' counts by queue (`JobMetrics`).
    var jobMetrics: [String: [String: Int]]
    /// ms since the epoch, for ages and staleness.
    var now: Int64

    /// Reads everything a scrape needs (five round trips, whatever the number of queues).
    static func read(_ store: JobStore) throws(QueueError) -> MetricsSnapshot {
        MetricsSnapshot(queues: try store.info(), stats: try store.queueStats(), supervisors: try store.supervisors(),
                        counters: try store.supervisorCounters(), jobMetrics: try store.jobMetrics(),
                        now: Timestamp.nowMilliseconds())
    }
}

/// Turns snapshots into the Prometheus text format with swift-prometheus.
///
/// The totals are absolute values read from Redis, and a swift-prometheus counter only adds,
/// so each scrape resets a counter and adds the stored total. The registry and its series live
/// as long as the server: making a series (validating and pre-rendering its labels) is what
/// costs, so a fresh registry per scrape costs far more than updating existing series
/// (docs/benchmarks.md, `bench web`). Scrapes are serialized by the lock (so one
/// never emits while another has reset a counter), and a series not seen in a scrape (a
/// queue that went away) is unregistered.
///
/// Runs started and ended by job name, and the duration and wait histograms, come from the
/// workers' counts (`JobMetrics`) and are rendered by `JobMetricsText`.
final class MetricsCollector: Sendable {
    /// The registry and every series it holds: a queue's series together under its name (one
    /// lookup per queue and scrape, where a lookup per series, hashing the name and every
    /// label, was most of a scrape's time), the few others by name and labels.
    private struct State {
        var registry = PrometheusCollectorRegistry()
        var queues: [String: QueueSeries] = [:]
        var gauges: [SeriesKey: Gauge] = [:]
        var counters: [SeriesKey: Counter] = [:]
    }

    /// One queue's series: the state gauges in `states` order, its oldest age, and its
    /// counters in `jobCounters` order.
    private struct QueueSeries {
        var states: [Gauge]
        var age: Gauge
        var counters: [Counter]
    }

    private struct SeriesKey: Hashable {
        var name: String
        var labels: [String]
    }

    private let state = Mutex(State())

    static let states = ["queued", "scheduled", "started", "finished", "failed", "canceled"]

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

    static let queueJobsHelp = "Jobs of a queue by state now (queued is the queue's depth; finished, failed and canceled are the retained registries)."

    /// The text of one scrape.
    func text(_ snapshot: MetricsSnapshot) -> String {
        state.withLock { state in
            var seenQueues = Set<String>(minimumCapacity: snapshot.queues.count)
            for queue in snapshot.queues {
                seenQueues.insert(queue.name)
                let series = state.queues[queue.name] ?? Self.makeSeries(queue.name, in: state.registry)
                if state.queues[queue.name] == nil { state.queues[queue.name] = series }
                let counts = [queue.queued, queue.scheduled, queue.started, queue.finished, queue.failed, queue.canceled]
                for (gauge, count) in zip(series.states, counts) { gauge.set(Double(count)) }
                series.age.set(queue.oldestQueuedAt.map { Double(max(0, snapshot.now - $0)) / 1000 } ?? 0)
                let fields = snapshot.stats[queue.name] ?? [:]
                for (counter, item) in zip(series.counters, Self.jobCounters) {
                    counter.reset()
                    counter.increment(by: Int64(max(0, fields[item.field] ?? 0)))
                }
            }
            for (name, series) in state.queues where !seenQueues.contains(name) {
                for gauge in series.states + [series.age] { state.registry.unregisterGauge(gauge) }
                for counter in series.counters { state.registry.unregisterCounter(counter) }
                state.queues[name] = nil
            }

            var seen = Set<SeriesKey>()
            func gauge(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Double) {
                let key = SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })
                seen.insert(key)
                let series = state.gauges[key] ?? state.registry.makeGauge(name: name, labels: labels, help: help)
                state.gauges[key] = series
                series.set(value)
            }
            func counter(_ name: String, _ labels: [(String, String)], _ help: String, _ value: Int) {
                let key = SeriesKey(name: name, labels: labels.flatMap { [$0.0, $0.1] })
                seen.insert(key)
                let series = state.counters[key] ?? state.registry.makeCounter(name: name, labels: labels, help: help)
                state.counters[key] = series
                series.reset()
                series.increment(by: Int64(max(0, value)))
            }
            Self.collectSupervisors(snapshot, gauge: gauge, counter: counter)
            for (key, series) in state.gauges where !seen.contains(key) {
                state.registry.unregisterGauge(series)
                state.gauges[key] = nil
            }
            for (key, series) in state.counters where !seen.contains(key) {
                state.registry.unregisterCounter(series)
                state.counters[key] = nil
            }
            return state.registry.emitToString() + JobMetricsText.render(snapshot.jobMetrics)
        }
    }

    private static func makeSeries(_ queue: String, in registry: PrometheusCollectorRegistry) -> QueueSeries {
        QueueSeries(
            states: states.map { registry.makeGauge(name: "drover_queue_jobs", labels: [("queue", queue), ("state", $0)], help: queueJobsHelp) },
            age: registry.makeGauge(name: "drover_queue_oldest_job_age_seconds", labels: [("queue", queue)],
                                    help: "Age of the job at the head of the queue (0 when the queue is empty)."),
            counters: jobCounters.map { registry.makeCounter(name: "drover_jobs_\($0.field)_total", labels: [("queue", queue)], help: $0.help) })
    }

    /// The supervisors' series, handed to `gauge` and `counter` with their labels and values.
    private static func collectSupervisors(_ snapshot: MetricsSnapshot,
                                           gauge: (String, [(String, String)], String, Double) -> Void,
                                           counter: (String, [(String, String)], String, Int) -> Void) {
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
            gauge("drover_supervisors", [("state", state)],
                  "Supervisors (drover worker masters) registered: live, or not heard from for a while.", Double(count))
        }
        // Every state of every pool and role seen, so an idle count of 0 is a sample, not a gap.
        let groups = Set(children.keys.map { ChildKey(pool: $0.pool, role: $0.role, state: "") })
        for group in groups {
            for state in Set(["busy", "idle"] + children.keys.filter { $0.pool == group.pool && $0.role == group.role }.map(\.state)) {
                let key = ChildKey(pool: group.pool, role: group.role, state: state)
                gauge("drover_children", [("pool", key.pool), ("role", key.role), ("state", key.state)],
                      "Child processes of the live supervisors by pool, role and state (busy, idle, starting, leaving).",
                      Double(children[key] ?? 0))
            }
        }
        for item in snapshot.counters {
            counter("drover_" + sanitized(item.name) + "_total", [("pool", item.pool)],
                    supervisorHelp[item.name] ?? "Supervisor counter \(item.name), summed over every host and restart.", item.value)
        }
    }

    /// A metric name part: lower-case letters, digits and `_` only.
    static func sanitized(_ name: String) -> String {
        String(name.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }

    struct ChildKey: Hashable {
        var pool: String
        var role: String
        var state: String
    }
}

extension WebAPI {
    /// `GET /metrics`: 503 (with the JSON reason) when Redis is unreachable, rather than an
    /// empty page that a scraper would record as every series gone.
    func metricsText() async throws -> Response {
        let snapshot = try await pool.run { store in try MetricsSnapshot.read(store) }
        return Response.text(metrics.text(snapshot), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
