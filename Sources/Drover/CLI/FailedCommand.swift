import ArgumentParser
import DroverCore
import DroverQueue

/// `drover failed [--queue Q] [--limit N]`
struct FailedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failed",
        abstract: "List failed jobs (newest first) with their errors.",
        discussion: "Examples:\n  drover failed\n  drover failed --queue mail --limit 5 --json"
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only this queue (default: every queue).")
    var queue: String?

    @Option(help: "At most this many jobs per queue.")
    var limit: Int = 20

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            let queues = try queue.map { [$0] } ?? store.info().map(\.name)
            var jobs: [Job] = []
            for name in queues {
                let ids = try store.ids(in: "failed", queue: name, offset: -max(1, limit), limit: max(1, limit))
                for id in ids.reversed() {
                    if let job = try store.job(id) { jobs.append(job) }
                }
            }
            if json {
                printJSON(.object(["jobs": .array(jobs.map(\.json))]))
                return
            }
            if jobs.isEmpty {
                print("no failed jobs")
                return
            }
            for job in jobs {
                let ended = job.endedAt.map { Timestamp.rfc3339(milliseconds: $0) } ?? "-"
                let error = job.error.map { "\($0.type): \($0.message)" } ?? "-"
                print("\(job.id)  \(job.queue)  \(job.name)  attempt \(job.attempt)/\(job.maxAttempts)  \(ended)")
                print("    \(error.prefix(200))")
            }
        }
    }
}
