import DroverCore

/// A job as the API writes it: the members of `Job.json` (the same document `drover status
/// --json` prints), but with `args` and `result` copied byte for byte as stored. Parsing them
/// into `JSONValue` and writing them again would round 64-bit integers through a Double and
/// reorder members, and a Python or Node producer should get back exactly what it sent.
enum JobJSON {
    /// The job as one JSON object, keys sorted.
    static func write(_ job: Job, extra: [String: JSONValue] = [:], into out: inout String) {
        guard case .object(var members) = job.json else { return }
        for (key, value) in extra { members[key] = value }
        let raw: [String: String?] = ["args": job.argsJSON, "result": job.resultJSON]
        out.append("{")
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { out.append(",") }
            JSONWriter.quote(key, into: &out)
            out.append(":")
            if let text = raw[key], let text, JSONSyntax.isValid(text) {
                out.append(text)
            } else {
                JSONWriter.write(members[key]!, into: &out)
            }
        }
        out.append("}")
    }

    /// The job as JSON text.
    static func text(_ job: Job, extra: [String: JSONValue] = [:]) -> String {
        var out = ""
        write(job, extra: extra, into: &out)
        return out
    }

    /// A page of jobs: `{"jobs": [...], "total": N, "offset": O, "limit": L, …}`.
    static func page(_ jobs: [Job], total: Int, offset: Int, limit: Int, extra: [String: JSONValue] = [:]) -> String {
        var out = "{"
        for key in extra.keys.sorted() {
            JSONWriter.quote(key, into: &out)
            out.append(":")
            JSONWriter.write(extra[key]!, into: &out)
            out.append(",")
        }
        out.append("\"jobs\":[")
        for (index, job) in jobs.enumerated() {
            if index > 0 { out.append(",") }
            write(job, into: &out)
        }
        out.append("],\"limit\":\(limit),\"offset\":\(offset),\"total\":\(total)}")
        return out
    }
}
