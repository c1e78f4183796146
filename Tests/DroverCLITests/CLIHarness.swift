import DroverRedis
import DroverTestSupport
import Foundation
import Testing

/// A private redis-server, and the real `drover` binary pointed at it through `REDIS_URL`.
final class CLIHarness {
    let server: RedisServer

    init() throws {
        server = try RedisServer()
    }

    /// Runs `drover ARGS` with `REDIS_URL` set to this server.
    func drover(_ arguments: String..., environment: [String: String] = [:]) throws -> DroverRun {
        var env = ["REDIS_URL": server.urlString]
        env.merge(environment) { _, new in new }
        return try DroverBinary.run(arguments, environment: env)
    }

    /// Runs `drover ARGS`, expects exit 0 and nothing on stderr, and returns stdout's JSON object.
    func droverJSON(_ arguments: String...) throws -> [String: Any] {
        var env = ["REDIS_URL": server.urlString]
        env["TZ"] = "UTC"
        let run = try DroverBinary.run(arguments, environment: env)
        try #require(run.exitCode == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        return try JSONObject.parse(run.stdout)
    }

    /// How many keys Redis holds.
    func keyCount() throws -> Int {
        let client = server.client()
        return try #require(try client.command("DBSIZE").int)
    }

    /// Enqueues a job and returns its id (from the human output's first word).
    func enqueue(_ arguments: String...) throws -> String {
        var env = ["REDIS_URL": server.urlString]
        env["TZ"] = "UTC"
        let run = try DroverBinary.run(["enqueue"] + arguments, environment: env)
        try #require(run.exitCode == 0, "\(run)")
        let id = String(run.stdout.prefix { $0 != " " && $0 != "\n" })
        try #require(JobIDText.isValid(id), "not an id: \(run)")
        return id
    }
}

/// JSON read with Foundation's parser, independent of Drover's own writer.
enum JSONObject {
    static func parse(_ text: String) throws -> [String: Any] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // --json prints exactly one line.
        #expect(!trimmed.contains("\n"), "--json should print one line: \(text)")
        let value = try JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: [.fragmentsAllowed])
        return try #require(value as? [String: Any], "not a JSON object: \(text)")
    }
}

/// The shape of a job id: 26 characters of Crockford base32.
enum JobIDText {
    static func isValid(_ text: String) -> Bool {
        let alphabet = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        return text.count == 26 && text.allSatisfy { alphabet.contains($0) }
    }
}

/// RFC 3339 times as the API prints them (UTC, milliseconds).
enum RFC3339 {
    static func date(_ value: Any?) -> Date? {
        guard let text = value as? String else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
