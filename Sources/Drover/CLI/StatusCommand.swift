import ArgumentParser
import DroverCore
import DroverQueue

/// `drover status ID`
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a job: state, times, attempts, progress, result, error.",
        discussion: "Example:\n  drover status 01JD3W4X5Y6Z7A8B9C0D1E2F3G --json | jq .state"
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The job id.")
    var id: String

    @Flag(help: "Print the job as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            guard let job = try connection.store().job(JobID(id)) else {
                throw CLIFailure(status: ExitStatus.failure, message: "no job \(id) (never enqueued, deleted, or expired)")
            }
            if json {
                printJSON(job.json)
            } else {
                print(JobText.render(job))
            }
        }
    }
}

/// The human form of a job: one `key: value` per line, only what is set.
enum JobText {
    static func render(_ job: Job) -> String {
        func time(_ ms: Int64?) -> String? { ms.map { Timestamp.rfc3339(milliseconds: $0) } }
        var rows: [(String, String?)] = [
            ("id", job.id.rawValue), ("name", job.name), ("queue", job.queue), ("state", job.state.rawValue),
            ("args", job.argsJSON), ("priority", job.priority == 0 ? nil : String(job.priority)),
            ("attempt", "\(job.attempt) of \(job.maxAttempts)"), ("unique_key", job.uniqueKey),
            ("created_at", time(job.createdAt)), ("enqueued_at", time(job.enqueuedAt)),
            ("scheduled_for", time(job.scheduledFor)), ("started_at", time(job.startedAt)),
            ("ended_at", time(job.endedAt)), ("worker", job.worker),
        ]
        if let progress = job.progress {
            rows.append(("progress", "\(JSONWriter.number(progress))%" + (job.progressNote.map { " \($0)" } ?? "")))
        }
        rows.append(("result", job.resultJSON))
        if let error = job.error {
            var text = "\(error.type): \(error.message)"
            if let signal = error.signal { text += " (signal \(signal))" }
            if let status = error.exitStatus { text += " (exit status \(status))" }
            rows.append(("error", text))
        }
        if job.cancelRequested && job.state == .started { rows.append(("cancel", "requested")) }
        return rows.compactMap { key, value in value.map { "\(key.padding(toLength: 14, withPad: " ", startingAt: 0))\($0)" } }
            .joined(separator: "\n")
    }
}
