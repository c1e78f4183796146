import DroverCore
import DroverQueue
import Hummingbird

/// Queues, pages of jobs, one job, and the changes to one job.
extension WebAPI {
    /// Counters kept per queue in `stats:Q`, shown as `totals`.
    static let totalFields = ["enqueued", "finished", "failed", "retried", "canceled", "lost", "stale"]

    func queues() async throws -> Response {
        let (counts, stats) = try await pool.run { store in (try store.info(), try store.queueStats()) }
        let now = Timestamp.nowMilliseconds()
        var out = "{\"queues\":["
        for (index, queue) in counts.enumerated() {
            if index > 0 { out += "," }
            var totals: [String: JSONValue] = [:]
            for field in Self.totalFields { totals[field] = .number(Double(stats[queue.name]?[field] ?? 0)) }
            let oldest = queue.oldestQueuedAt
            let value: JSONValue = .object([
                "name": .string(queue.name),
                "counts": .object([
                    "queued": .number(Double(queue.queued)), "scheduled": .number(Double(queue.scheduled)),
                    "started": .number(Double(queue.started)), "finished": .number(Double(queue.finished)),
                    "failed": .number(Double(queue.failed)), "canceled": .number(Double(queue.canceled)),
                ]),
                "oldest_queued_at": oldest.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null,
                "oldest_queued_age_seconds": oldest.map { .number(Double(max(0, now - $0)) / 1000) } ?? .null,
                "totals": .object(totals),
            ])
            JSONWriter.write(value, into: &out)
        }
        out += "],\"time\":\(JSONWriter.quoted(Timestamp.rfc3339(milliseconds: now)))}"
        return Response.json(out)
    }

    /// `GET /api/v1/queues/{queue}/jobs`, `/jobs`, `/failed`, `/scheduled`: a page of one state.
    func jobs(_ request: Request, queue: String?, state fixed: JobState? = nil, defaultOrder: String) async throws -> Response {
        var state = fixed
        if state == nil {
            let text = request.uri.queryParameters.get("state") ?? ""
            guard let parsed = JobState(rawValue: text) else {
                throw WebError.badRequest("state must be one of queued, scheduled, started, finished, failed, canceled; not \"\(text)\"")
            }
            state = parsed
        }
        guard let state else { throw WebError.badRequest("state is required") }
        var queue = queue
        if let named = request.uri.queryParameters.get("queue"), queue == nil {
            guard QueueName.isValid(named) else { throw WebError.badRequest("invalid queue name \"\(named)\"") }
            queue = named
        }
        if state == .queued && queue == nil {
            throw WebError.badRequest("queued jobs are listed per queue: give a queue")
        }
        let offset = try Self.integer(request, "offset", in: 0...1_000_000, default: 0)
        let limit = try Self.integer(request, "limit", in: 1...500, default: 50)
        let order = request.uri.queryParameters.get("order") ?? defaultOrder
        guard order == "newest" || order == "oldest" else {
            throw WebError.badRequest("order must be newest or oldest, not \"\(order)\"")
        }
        let selected = queue
        let (page, jobs) = try await pool.run { store in
            let page = try store.page(state: state, queue: selected, offset: offset, limit: limit, newest: order == "newest")
            return (page, try store.jobs(page.ids))
        }
        var extra: [String: JSONValue] = ["state": .string(state.rawValue), "order": .string(order)]
        extra["queue"] = queue.map { .string($0) } ?? .null
        return Response.json(JobJSON.page(jobs, total: page.total, offset: offset, limit: limit, extra: extra))
    }

    func job(_ id: JobID) async throws -> Response {
        guard let job = try await pool.run({ store in try store.job(id) }) else {
            throw WebError.notFound("no job \(id)")
        }
        return Response.json(JobJSON.text(job))
    }

    func cancel(_ id: JobID) async throws -> Response {
        let (outcome, job) = try await pool.run { store in
            let outcome = try store.cancel(id)
            return (outcome, try store.job(id))
        }
        return Response.json(job.map { JobJSON.text($0, extra: ["outcome": .string(outcome.rawValue)]) }
            ?? "{\"id\":\(JSONWriter.quoted(id.rawValue)),\"outcome\":\"\(outcome.rawValue)\"}")
    }

    func requeue(_ id: JobID) async throws -> Response {
        let job = try await pool.run { store in
            try store.requeue(id)
            return try store.job(id)
        }
        guard let job else { throw WebError.notFound("no job \(id)") }
        return Response.json(JobJSON.text(job))
    }

    func delete(_ id: JobID) async throws -> Response {
        try await pool.run { store in try store.delete(id) }
        return Response.json("{\"deleted\":true,\"id\":\(JSONWriter.quoted(id.rawValue))}")
    }
}
