import ArgumentParser
import DroverCore
import DroverQueue
import Foundation

/// `drover info`
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show queues with their job counts per state.",
        discussion: "Example:\n  drover info --json"
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let queues = try connection.store().info()
            let now = Timestamp.nowMilliseconds()
            if json {
                printJSON(.object(["queues": .array(queues.map { q in
                    .object(["name": .string(q.name), "queued": .number(Double(q.queued)),
                             "scheduled": .number(Double(q.scheduled)), "started": .number(Double(q.started)),
                             "finished": .number(Double(q.finished)), "failed": .number(Double(q.failed)),
                             "canceled": .number(Double(q.canceled)),
                             "oldest_queued_age_seconds": q.oldestQueuedAt.map { .number(Double(now - $0) / 1000) } ?? .null])
                })]))
                return
            }
            print(InfoTable.render(queues, now: now))
        }
    }
}

/// The human table of `drover info`: fits 80 columns.
enum InfoTable {
    static func render(_ queues: [QueueCounts], now: Int64) -> String {
        if queues.isEmpty { return "no queues yet" }
        func col(_ text: String, _ width: Int) -> String {
            text.count >= width ? String(text.prefix(width)) : String(repeating: " ", count: width - text.count) + text
        }
        var lines = ["queue".padding(toLength: 16, withPad: " ", startingAt: 0)
                     + col("queued", 9) + col("sched", 8) + col("started", 9) + col("finished", 10)
                     + col("failed", 8) + col("canceled", 9) + col("oldest", 9)]
        for q in queues {
            let age = q.oldestQueuedAt.map { Duration.milliseconds(now - $0) }.map(shortAge) ?? "-"
            lines.append(String(q.name.prefix(15)).padding(toLength: 16, withPad: " ", startingAt: 0)
                         + col(String(q.queued), 9) + col(String(q.scheduled), 8) + col(String(q.started), 9)
                         + col(String(q.finished), 10) + col(String(q.failed), 8) + col(String(q.canceled), 9)
                         + col(age, 9))
        }
        return lines.joined(separator: "\n")
    }

    static func shortAge(_ duration: Duration) -> String {
        let seconds = max(0, duration.components.seconds)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 86400 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }
}
