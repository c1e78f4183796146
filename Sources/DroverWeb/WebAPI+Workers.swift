import DroverCore
import DroverQueue
import Hummingbird

/// Supervisors (`drover worker` masters) with their pools and children, from the registry each
/// master publishes once a second, and the supervisors' counters (restarts, limit kills).
extension WebAPI {
    func workers() async throws -> Response {
        let (records, counters) = try await pool.run { store in (try store.supervisors(), try store.supervisorCounters()) }
        let now = Timestamp.nowMilliseconds()
        func time(_ ms: Int64?) -> JSONValue { ms.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null }
        func number(_ value: Int?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }
        let supervisors: [JSONValue] = records.map { record in
            .object([
                "id": .string(record.id), "host": .string(record.host), "pid": .number(Double(record.pid)),
                "name": record.name.map { .string($0) } ?? .null, "started_at": time(record.startedAt),
                "heartbeat_at": time(record.heartbeatAt), "stale": .bool(record.isStale(now: now)),
                "status": .string(record.status), "jobs_done": number(record.jobsDone),
                "pools": .array(record.pools.map { pool in
                    .object(["name": .string(pool.name), "queues": .array(pool.queues.map { .string($0) }),
                             "concurrency": number(pool.concurrency)])
                }),
                "children": .array(record.children.map { child in
                    .object([
                        "pid": .number(Double(child.pid)), "pool": .string(child.pool), "role": .string(child.role),
                        "state": .string(child.state), "job_id": child.jobID.map { .string($0) } ?? .null,
                        "job_started_at": time(child.jobStartedAt), "jobs_done": number(child.jobsDone),
                        "rss_bytes": number(child.rssBytes), "started_at": time(child.startedAt),
                    ])
                }),
            ])
        }
        let totals: [JSONValue] = counters.map {
            .object(["name": .string($0.name), "pool": .string($0.pool), "value": number($0.value)])
        }
        return Response.json(JSONValue.object(["supervisors": .array(supervisors), "counters": .array(totals)]).jsonText)
    }
}
