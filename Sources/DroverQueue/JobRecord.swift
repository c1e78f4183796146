import DroverCore
import Foundation

/// Turns what Redis holds for a job into a `Job`: either its own hash (`job:ID`, once it has
/// run or been canceled) or its record in the `jobs` hash (before it first runs).
enum JobRecord {
    /// Decodes a record: `QUEUE PRIORITY MAX_ATTEMPTS RESULT_TTL FAILURE_TTL ENQUEUED_AT\n{doc}`.
    static func decode(id: JobID, record: String, scheduledFor: Int64?, running: String? = nil, done: String? = nil) -> Job? {
        guard let newline = record.firstIndex(of: "\n") else { return nil }
        let header = record[..<newline].split(separator: " ").map(String.init)
        guard header.count == 6 else { return nil }
        var fields: [String: String] = [
            "queue": header[0], "priority": header[1], "max_attempts": header[2], "result_ttl": header[3],
            "failure_ttl": header[4], "enqueued_at": header[5], "attempt": "0", "lease": "0",
            "doc": String(record[record.index(after: newline)...]),
            "state": scheduledFor == nil ? JobState.queued.rawValue : JobState.scheduled.rawValue,
        ]
        if let scheduledFor { fields["scheduled_for"] = String(scheduledFor) }
        // running: 'LEASE QUEUE RESULT_TTL UNIQUE STARTED_AT WORKER'; done: 'ENDED_AT STARTED_AT WORKER RESULT'.
        if let running {
            let parts = running.split(separator: " ", maxSplits: 5).map(String.init)
            if parts.count == 6 {
                fields["state"] = JobState.started.rawValue
                fields["lease"] = parts[0]
                fields["attempt"] = "1"
                fields["started_at"] = parts[4]
                fields["worker"] = parts[5]
            }
        } else if let done {
            let parts = done.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 4 {
                fields["state"] = JobState.finished.rawValue
                fields["lease"] = "1"
                fields["attempt"] = "1"
                fields["ended_at"] = parts[0]
                fields["started_at"] = parts[1]
                fields["worker"] = parts[2]
                fields["result"] = parts[3]
            }
        }
        return decode(id: id, fields: fields)
    }

    /// Decodes a job hash.
    static func decode(id: JobID, fields: [String: String]) -> Job? {
        guard let stateText = fields["state"], let state = JobState(rawValue: stateText) else { return nil }
        let doc = fields["doc"].flatMap { try? JSONValue(parsing: $0) }
        func ms(_ key: String) -> Int64? { fields[key].flatMap { Int64($0) ?? Double($0).flatMap { Int64(exactly: $0.rounded(.down)) } } }
        func span(_ value: JSONValue?) -> TimeSpan? { value?.double.flatMap { TimeSpan(seconds: $0) } }
        var backoff = Backoff.standard
        if let b = doc?["backoff"] {
            backoff = Backoff(base: span(b["base"]) ?? backoff.base, factor: b["factor"]?.double ?? backoff.factor,
                              cap: span(b["cap"]) ?? backoff.cap, jitter: b["jitter"]?.double ?? backoff.jitter)
        }
        var error: JobError?
        if let text = fields["error"], let value = try? JSONValue(parsing: text) {
            error = JobError(type: value["type"]?.string ?? "Error", message: value["message"]?.string ?? text,
                             signal: value["signal"]?.string, exitStatus: value["exit_status"]?.double.flatMap { Int(exactly: $0) },
                             permanent: value["permanent"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } })
        }
        let unique = fields["unique_key"].flatMap { $0.isEmpty ? nil : $0 } ?? doc?["unique_key"]?.string
        return Job(
            id: id, name: doc?["name"]?.string ?? "", queue: fields["queue"] ?? "",
            // The arguments exactly as the producer wrote them: re-serializing would reorder
            // members and round 64-bit integers through a Double.
            argsJSON: fields["doc"].map(JobDocument.argumentsText(of:)) ?? "null",
            state: state, priority: Int(fields["priority"] ?? "") ?? 0, attempt: Int(fields["attempt"] ?? "") ?? 0,
            maxAttempts: Int(fields["max_attempts"] ?? "") ?? 1, backoff: backoff,
            softTimeLimit: span(doc?["soft_time_limit"]), timeLimit: span(doc?["time_limit"]), uniqueKey: unique,
            createdAt: ms("created_at") ?? doc?["created_at"]?.double.map { Int64($0) } ?? ms("enqueued_at") ?? 0,
            enqueuedAt: ms("enqueued_at"), scheduledFor: ms("scheduled_for"), startedAt: ms("started_at"),
            endedAt: ms("ended_at"), worker: fields["worker"], progress: fields["progress"].flatMap { Double($0) },
            progressNote: fields["progress_note"].flatMap { $0.isEmpty ? nil : $0 }, resultJSON: fields["result"],
            error: error, resultTTL: ms("result_ttl").flatMap { TimeSpan(exactly: $0) } ?? .seconds(500),
            failureTTL: ms("failure_ttl").flatMap { TimeSpan(exactly: $0) } ?? .hours(24 * 30),
            lease: Int(fields["lease"] ?? "") ?? 0, cancelRequested: fields["cancel"] == "1")
    }
}
