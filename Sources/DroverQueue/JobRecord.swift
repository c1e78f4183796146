import DroverCore

/// Turns a job hash (`HGETALL job:ID`) into a `Job`.
enum JobRecord {
    static func decode(id: JobID, fields: [String: String]) -> Job? {
        guard let stateText = fields["state"], let state = JobState(rawValue: stateText) else { return nil }
        let doc = fields["doc"].flatMap { try? JSONValue(parsing: $0) }
        func ms(_ key: String) -> Int64? { fields[key].flatMap { Int64($0) } }
        func span(_ value: JSONValue?) -> TimeSpan? { value?.double.map { TimeSpan(milliseconds: Int64($0 * 1000)) } }
        var backoff = Backoff.standard
        if let b = doc?["backoff"] {
            backoff = Backoff(base: span(b["base"]) ?? backoff.base, factor: b["factor"]?.double ?? backoff.factor,
                              cap: span(b["cap"]) ?? backoff.cap, jitter: b["jitter"]?.double ?? backoff.jitter)
        }
        var error: JobError?
        if let text = fields["error"], let value = try? JSONValue(parsing: text) {
            error = JobError(type: value["type"]?.string ?? "Error", message: value["message"]?.string ?? text,
                             signal: value["signal"]?.string, exitStatus: value["exit_status"]?.double.map { Int($0) },
                             permanent: value["permanent"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } })
        }
        let unique = fields["unique_key"].flatMap { $0.isEmpty ? nil : $0 }
        return Job(
            id: id, name: fields["name"] ?? "", queue: fields["queue"] ?? "", argsJSON: fields["args"] ?? "null",
            state: state, priority: Int(fields["priority"] ?? "") ?? 0, attempt: Int(fields["attempt"] ?? "") ?? 0,
            maxAttempts: Int(fields["max_attempts"] ?? "") ?? 1, backoff: backoff,
            softTimeLimit: span(doc?["soft_time_limit"]), timeLimit: span(doc?["time_limit"]), uniqueKey: unique,
            createdAt: doc?["created_at"]?.double.map { Int64($0) } ?? ms("enqueued_at") ?? 0,
            enqueuedAt: ms("enqueued_at"), scheduledFor: ms("scheduled_for"), startedAt: ms("started_at"),
            endedAt: ms("ended_at"), worker: fields["worker"], progress: fields["progress"].flatMap { Double($0) },
            progressNote: fields["progress_note"].flatMap { $0.isEmpty ? nil : $0 }, resultJSON: fields["result"],
            error: error, resultTTL: TimeSpan(milliseconds: ms("result_ttl") ?? 500_000),
            failureTTL: TimeSpan(milliseconds: ms("failure_ttl") ?? 2_592_000_000),
            lease: Int(fields["lease"] ?? "") ?? 0, cancelRequested: fields["cancel"] == "1")
    }
}
