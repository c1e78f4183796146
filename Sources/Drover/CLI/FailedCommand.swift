import ArgumentParser
import DroverCore
import DroverQueue

/// `drover failed [--queue Q] [--limit N]`: the failed registry, newest first, with each job's
/// error: what `rq failed` (RQ's FailedJobRegistry) shows an admin before `drover requeue`.
struct FailedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failed",
        abstract: "List failed jobs (newest first) with their errors.",
        discussion: """
        A job is failed once its attempts are spent, or at once when it threw PermanentFailure. \
        Failed jobs stay until requeued (drover requeue), deleted or expired.

        Examples:
          drover failed
          drover failed --queue mail --limit 5
          drover failed --json | jq -r '.jobs[].id' | xargs drover requeue
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only this queue (default: every queue).")
    var queue: String?

    @Option(help: "At most this many jobs per queue.")
    var limit: Int = 20

    @Flag(help: "Print as JSON.")
    var json = false

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            let queues = try queue.map { [$0] } ?? store.info().map(\.name)
            var jobs: [Job] = []
            for name in queues {
                let ids = try store.ids(in: "failed", queue: name, offset: -limit, limit: limit)
                for id in ids.reversed() {
                    if let job = try store.job(id) { jobs.append(job) }
                }
            }
            if json {
                printJSON(.object(["jobs": .array(jobs.map(\.json))]))
                return
            }
            print(FailedView.text(jobs, now: Timestamp.nowMilliseconds(), style: .standardOutput()))
        }
    }
}

/// The human form of `drover failed`: a table, each job's error on the line under it.
enum FailedView {
    static func text(_ jobs: [Job], now: Int64, style: TerminalStyle) -> String {
        if jobs.isEmpty { return "no failed jobs" }
        var table = TextTable([
            .init("id"), .init("queue", flexible: true), .init("name", flexible: true, minimumWidth: 6),
            .init("attempt", alignRight: true), .init("ended", alignRight: true),
        ])
        for job in jobs {
            table.append([.init(job.id.rawValue), .init(job.queue), .init(job.name), .init("\(job.attempt)/\(job.maxAttempts)"),
                          .init(job.endedAt.map { HumanUnits.duration(milliseconds: now - $0) + " ago" } ?? "-")])
        }
        let rendered = table.render(style: style).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var lines = [rendered[0]]
        for (index, job) in jobs.enumerated() {
            lines.append(rendered[index + 1])
            var error = job.error.map { "\($0.type): \($0.message)" } ?? "(no error recorded)"
            if let signal = job.error?.signal { error += " (signal \(signal))" }
            if let status = job.error?.exitStatus { error += " (exit status \(status))" }
            let oneLine = error.split(whereSeparator: \.isNewline).joined(separator: " ⏎ ")
            lines.append("    " + style.paint(TextTable.fit(oneLine, 76), .red))
        }
        return lines.joined(separator: "\n")
    }
}
