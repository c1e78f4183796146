import DroverCore
import DroverQueue
import DroverRedis
import Foundation
import Hummingbird

/// Periodic entries and workers.
extension WebAPI {
    /// The config's periodic entries with their next fire times. The entries come from the
    /// config, but Redis is still asked (a PING), so this endpoint too answers 503 rather than
    /// look healthy while the scheduler cannot enqueue anything.
    func periodic() async throws -> Response {
        _ = try await pool.run { store in try store.webCommand(RedisCommand("PING")) }
        let now = Date()
        var entries: [JSONValue] = []
        for entry in settings.periodic {
            let next = entry.nextTick(after: now)
            let args: JSONValue = entry.argsJSON.flatMap { try? JSONValue(parsing: $0) } ?? .null
            entries.append(.object([
                "name": .string(entry.name), "cron": .string(entry.schedule.expression),
                "timezone": .string(entry.timeZone.identifier), "job": .string(entry.job), "queue": .string(entry.queue),
                "args": args, "priority": entry.priority.map { .number(Double($0)) } ?? .null,
                "next_run_at": next.map { .string(Timestamp.rfc3339(milliseconds: Int64(($0.date.timeIntervalSince1970 * 1000).rounded()))) } ?? .null,
            ]))
        }
        return Response.json(JSONValue.object(["entries": .array(entries)]).jsonText)
    }
}
