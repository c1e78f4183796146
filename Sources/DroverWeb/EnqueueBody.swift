import DroverCore
import DroverQueue
import Foundation

/// The body of `POST /api/v1/jobs`: the options of `drover enqueue`, as JSON, so a Python or
/// Node app can enqueue over HTTP. Every problem is a 400 naming the field; unknown fields are
/// refused rather than ignored, so a typo (`"prority"`) is not silently dropped.
enum EnqueueBody {
    static let fields: Set<String> = [
        "name", "queue", "args", "in", "at", "priority", "unique_key", "max_attempts",
        "soft_time_limit", "time_limit", "result_ttl", "id",
    ]

    /// Parses and checks a body.
    /// - Throws: `WebError` 400 with the reason.
    static func parse(_ text: String) throws(WebError) -> EnqueueRequest {
        // The arguments sit one level inside the body: check the depth before Foundation's
        // parser, whose cost grows sharply with it, sees the body.
        if case .tooDeep? = JSONSyntax.problem(text, maximumDepth: JSONSyntax.maximumDepth + 1) {
            throw WebError.badRequest("args are nested deeper than \(JSONSyntax.maximumDepth) levels")
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text)
        } catch {
            throw WebError.badRequest("the body is not valid JSON: \(error.reason)")
        }
        guard case .object(let members) = value else { throw WebError.badRequest("the body must be a JSON object") }
        for key in members.keys.sorted() where !fields.contains(key) {
            throw WebError.badRequest("unknown field \"\(key)\" (known: \(fields.sorted().joined(separator: ", ")))")
        }
        guard let name = members["name"]?.string, !name.isEmpty else {
            throw WebError.badRequest("name is required: the job's name, a string")
        }
        var options = JobOptions()
        if let queue = members["queue"] {
            guard let text = queue.string else { throw WebError.badRequest("queue must be a string") }
            options.queue = text
        }
        options.priority = try integer(members["priority"], "priority") ?? 0
        options.maxAttempts = try integer(members["max_attempts"], "max_attempts") ?? options.maxAttempts
        if let key = members["unique_key"], key != .null {
            guard let text = key.string else { throw WebError.badRequest("unique_key must be a string") }
            options.uniqueKey = text
        }
        if let id = members["id"], id != .null {
            guard let text = id.string else { throw WebError.badRequest("id must be a string") }
            options.id = JobID(text)
        }
        options.softTimeLimit = try span(members["soft_time_limit"], "soft_time_limit")
        options.timeLimit = try span(members["time_limit"], "time_limit")
        if let ttl = try span(members["result_ttl"], "result_ttl") { options.resultTTL = ttl }
        let delay = try span(members["in"], "in")
        let at = members["at"].flatMap { $0 == .null ? nil : $0 }
        if delay != nil && at != nil { throw WebError.badRequest("use in or at, not both") }
        if let delay { options.runAt = Timestamp.nowMilliseconds() + delay.milliseconds }
        if let at {
            guard let text = at.string else {
                throw WebError.badRequest("at must be an RFC 3339 time such as 2026-11-24T09:00:00Z")
            }
            do {
                options.runAt = try Timestamp.milliseconds(parsing: text)
            } catch {
                throw WebError.badRequest("at: \(error)")
            }
        }
        if let problem = options.problem { throw WebError.badRequest(problem) }
        return EnqueueRequest(name: name, argsJSON: argumentsText(text, parsed: members["args"]), options: options)
    }

    /// The arguments exactly as sent when they can be cut out of the body (so 64-bit integers
    /// and member order survive), else written again from the parsed value; `{}` when absent.
    static func argumentsText(_ body: String, parsed: JSONValue?) -> String {
        guard let parsed else { return "{}" }
        let raw = JobDocument.argumentsText(of: body).trimmingCharacters(in: .whitespacesAndNewlines)
        if raw != "null" || parsed == .null, JSONSyntax.isValid(raw), (try? JSONValue(parsing: raw)) == parsed {
            return raw
        }
        return parsed.jsonText
    }

    private static func integer(_ value: JSONValue?, _ field: String) throws(WebError) -> Int? {
        guard let value, value != .null else { return nil }
        guard let number = value.double, number == number.rounded(), abs(number) < 1e15 else {
            throw WebError.badRequest("\(field) must be a whole number")
        }
        return Int(number)
    }

    /// A duration: seconds as a number, or text such as `30s`, `5m`, `1h30m`.
    private static func span(_ value: JSONValue?, _ field: String) throws(WebError) -> TimeSpan? {
        guard let value, value != .null else { return nil }
        if let seconds = value.double {
            guard let span = TimeSpan(seconds: seconds) else {
                throw WebError.badRequest("\(field) must be 0 to \(TimeSpan.maximum) (100 years) in seconds")
            }
            return span
        }
        guard let text = value.string else { throw WebError.badRequest("\(field) must be seconds or a duration such as \"30s\"") }
        do {
            return try TimeSpan(parsing: text)
        } catch {
            throw WebError.badRequest("\(field): \(error)")
        }
    }
}
