import DroverCore
import DroverQueue
import DroverRedis

/// One page of ids and how many there are in all.
struct IDPage: Sendable {
    var total: Int
    var ids: [JobID]
}

/// The reads of the HTTP side that `JobStore` does not have, over `WebScripts`.
extension JobStore {
    /// Runs one of the web's scripts; Redis errors become `QueueError`s (unavailable or not).
    func web(_ script: RedisScript, _ arguments: [String]) throws(QueueError) -> RedisValue {
        var command = RedisCommand()
        for argument in arguments { command.append(argument) }
        do {
            return try client.evaluate(script, keys: [keys.base], arguments: command)
        } catch {
            throw QueueError(error.isUnavailable ? .unavailable : .redis, error.description, underlying: error)
        }
    }

    /// Runs a plain command.
    func webCommand(_ command: RedisCommand) throws(QueueError) -> RedisValue {
        do {
            return try client.command(command)
        } catch {
            throw QueueError(error.isUnavailable ? .unavailable : .redis, error.description, underlying: error)
        }
    }

    /// A page of ids in one state: of one queue, or of every queue merged by score.
    func page(state: JobState, queue: String?, offset: Int, limit: Int, newest: Bool) throws(QueueError) -> IDPage {
        let order = newest ? "newest" : "oldest"
        let reply: RedisValue
        if let queue {
            reply = try web(WebScripts.page, [state.rawValue, queue, String(offset), String(limit), order])
        } else {
            reply = try web(WebScripts.across, [state.rawValue, String(offset), String(limit), order])
        }
        let items = reply.array ?? []
        return IDPage(total: items.first?.int ?? 0, ids: items.dropFirst().compactMap { $0.string.map(JobID.init) })
    }

    /// The jobs of a page, in its order (a job that expired between the two reads is left out).
    func jobs(_ ids: [JobID]) throws(QueueError) -> [Job] {
        var jobs: [Job] = []
        jobs.reserveCapacity(ids.count)
        for id in ids { if let job = try job(id) { jobs.append(job) } }
        return jobs
    }

    /// Every queue's counters from `stats:Q`.
    func queueStats() throws(QueueError) -> [String: [String: Int]] {
        try perQueueHashes("stats")
    }

    /// Every queue's `metrics:Q` hash (the workers' counts): queue → field → value.
    func jobMetrics() throws(QueueError) -> [String: [String: Int]] {
        try perQueueHashes("metrics")
    }

    private func perQueueHashes(_ kind: String) throws(QueueError) -> [String: [String: Int]] {
        let items = try web(WebScripts.perQueueHashes, [kind]).array ?? []
        var out: [String: [String: Int]] = [:]
        var index = 0
        while index + 1 < items.count {
            var fields: [String: Int] = [:]
            let pairs = items[index + 1].array ?? []
            var j = 0
            while j + 1 < pairs.count {
                fields[pairs[j].string ?? ""] = pairs[j + 1].int ?? Int(pairs[j + 1].string ?? "") ?? 0
                j += 2
            }
            out[items[index].string ?? ""] = fields
            index += 2
        }
        return out
    }
}
