import DroverCore
import DroverQueue
import Hummingbird

/// Writes that take a body: enqueue and the failed registry's bulk requeue.
extension WebAPI {
    /// Reads the body, at most `bodyLimit` bytes (413 past it).
    func body(_ request: Request) async throws -> String {
        var request = request
        let buffer = try await request.collectBody(upTo: settings.bodyLimit)
        return String(buffer: buffer)
    }

    func enqueue(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let enqueue = try EnqueueBody.parse(try await body(request))
        let (result, job) = try await pool.run { store in
            let result = try store.enqueue(enqueue)
            return (result, try store.job(result.id))
        }
        // A repeat (the same job sent again with its id) is answered like a duplicate: 200 and
        // the job that exists. The store's own retry after a lost reply is not a repeat: 201.
        let existed = result.duplicate || result.repeated
        let extra: [String: JSONValue] = ["duplicate": .bool(result.duplicate), "repeated": .bool(result.repeated)]
        guard let job else {
            let id = JSONWriter.quoted(result.id.rawValue)
            return Response.json("{\"duplicate\":\(result.duplicate),\"id\":\(id),\"repeated\":\(result.repeated)}",
                                 status: existed ? .ok : .created)
        }
        return Response.json(JobJSON.text(job, extra: extra), status: existed ? .ok : .created)
    }

    /// `POST /api/v1/failed/requeue` with `{"ids": [...]}`, `{"queue": "Q"}` or `{}` (every
    /// failed job). Each job is requeued by its own atomic script; the answer lists what was
    /// requeued and why any job was not.
    func requeueFailed(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let text = try await body(request)
        var ids: [JobID]?
        var queue: String?
        if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard case .object(let members)? = try? JSONValue(parsing: text) else {
                throw WebError.badRequest("the body must be a JSON object: {\"ids\": [...]} or {\"queue\": \"Q\"} or {}")
            }
            for key in members.keys where key != "ids" && key != "queue" {
                throw WebError.badRequest("unknown field \"\(key)\" (known: ids, queue)")
            }
            if let list = members["ids"] {
                guard case .array(let items) = list, items.allSatisfy({ $0.string != nil }) else {
                    throw WebError.badRequest("ids must be an array of job ids")
                }
                ids = items.compactMap { $0.string.map(JobID.init) }
            }
            if let named = members["queue"] {
                guard let name = named.string, QueueName.isValid(name) else { throw WebError.badRequest("invalid queue") }
                queue = name
            }
        }
        let chosen = ids
        let selected = queue
        let (requeued, refused) = try await pool.run { store in
            var requeued: [JobID] = []
            var refused: [(JobID, String)] = []
            func attempt(_ id: JobID) throws(QueueError) {
                do {
                    try store.requeue(id)
                    requeued.append(id)
                } catch where error.code != .unavailable {
                    refused.append((id, error.message))
                }
            }
            if let chosen {
                for id in chosen { try attempt(id) }
            } else {
                // Requeued jobs leave the registry, so the first page is read again until it is
                // empty or nothing on it can be requeued (bounded: at most 100 pages).
                for _ in 0..<100 {
                    let page = try store.page(state: .failed, queue: selected, offset: refused.count, limit: 500, newest: false)
                    if page.ids.isEmpty { break }
                    for id in page.ids { try attempt(id) }
                }
            }
            return (requeued, refused)
        }
        var out = "{\"refused\":["
        for (index, (id, reason)) in refused.enumerated() {
            if index > 0 { out += "," }
            out += "{\"id\":\(JSONWriter.quoted(id.rawValue)),\"reason\":\(JSONWriter.quoted(reason))}"
        }
        out += "],\"requeued\":" + JSONValue.array(requeued.map { .string($0.rawValue) }).jsonText + "}"
        return Response.json(out)
    }
}
