import DroverCore
import DroverQueue
import DroverRedis
import Foundation
import Hummingbird

/// Periodic entries and workers.
extension WebAPI {
    /// The config's periodic entries with their next fire times, and from Redis the last tick
    /// the scheduler fired (or skipped) for each, so an operator can see that periodic jobs really
    /// run. The entries come from this process's config: a scheduler started with another
    /// config fires other entries.
    func periodic() async throws -> Response {
        let marks = try await pool.run { store in try store.periodicMarks() }
        let now = Date()
        func time(_ date: Date) -> JSONValue {
            .string(Timestamp.rfc3339(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded())))
        }
        var entries: [JSONValue] = []
        for entry in settings.periodic {
            let next = entry.nextTick(after: now)
            let args: JSONValue = entry.argsJSON.flatMap { try? JSONValue(parsing: $0) } ?? .null
            let mark = marks[entry.name]
            entries.append(.object([
                "name": .string(entry.name), "cron": .string(entry.schedule.expression),
                "timezone": .string(entry.timeZoneName), "job": .string(entry.job), "queue": .string(entry.queue),
                "args": args, "priority": entry.priority.map { .number(Double($0)) } ?? .null,
                "next_run_at": next.map { time($0.date) } ?? .null,
                "last_run_at": mark.map { time(Date(timeIntervalSince1970: TimeInterval($0.tick))) } ?? .null,
                "last_job_id": mark?.jobID.map { .string($0.rawValue) } ?? .null,
            ]))
        }
        return Response.json(JSONValue.object(["entries": .array(entries)]).jsonText)
    }
}
