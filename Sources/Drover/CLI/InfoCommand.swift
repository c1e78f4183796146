import ArgumentParser
import DroverCore
import DroverQueue
import Foundation

/// `drover info [--interval S]`: what an admin looks at first (RQ's `rq info`): every queue with
/// its jobs per state and the age of its oldest waiting job, then the workers (busy, idle) of
/// every registered supervisor and the jobs they end per second.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show queues with their jobs per state, the workers, and jobs per second.",
        discussion: """
        One line per queue: jobs queued, scheduled (delayed or waiting to retry), started, \
        finished, failed and canceled, and how long the oldest queued job has waited. When \
        supervisors (drover worker) are running, a last line sums their children: busy, idle, \
        starting, and the jobs ended per second (measured over one second, or between two \
        redraws with --interval). --interval redraws the screen like `rq info --interval`; \
        with --json it prints one JSON line per sample instead.

        Examples:
          drover info
          drover info --interval 2               (redraw every 2 s; Ctrl-C to quit)
          drover info --json | jq '.queues[] | select(.failed > 0) | .name'
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("Redraw every this many seconds until interrupted.", valueName: "seconds"))
    var interval: Double?

    @Flag(help: "Print as JSON (one line; one per sample with --interval).")
    var json = false

    func validate() throws {
        if let interval, let problem = SecondsOption(flag: "--interval", range: 0.1...86_400).problem(interval) { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            let style = TerminalStyle.standardOutput()
            guard let interval else {
                var snapshot = try InfoSnapshot.take(store)
                if !snapshot.supervisors.isEmpty {
                    // A rate needs two samples: one more, a second later.
                    Thread.sleep(forTimeInterval: 1)
                    let later = try InfoSnapshot.take(store)
                    snapshot = later.withRate(since: snapshot)
                }
                print(json ? snapshot.json.jsonText : snapshot.text(style: style))
                return
            }
            let redraw = !json && TerminalStyle.standardOutputIsTerminal
            var previous: InfoSnapshot?
            while true {
                var snapshot = try InfoSnapshot.take(store)
                if let previous { snapshot = snapshot.withRate(since: previous) }
                if json {
                    print(snapshot.json.jsonText)
                } else {
                    let heading = "drover info: \(Timestamp.rfc3339(milliseconds: snapshot.at)), every \(HumanUnits.rate(interval)) s"
                    print((redraw ? TerminalStyle.clearScreen : "") + style.paint(heading, .dim) + "\n" + snapshot.text(style: style)
                          + (redraw ? "" : "\n"))
                }
                fflush(nil)  // every stream: the global `stdout` is not concurrency-safe in Swift 6
                previous = snapshot
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }
}

/// One look at the system: queue counts, supervisors, and the ended-jobs counters for a rate.
struct InfoSnapshot {
    var at: Int64
    var queues: [QueueCounts]
    var supervisors: [SupervisorRecord]
    /// finished + failed + retried over every queue, from the `stats:Q` counters.
    var ended: Int
    /// Jobs ended per second since an earlier snapshot, once known.
    var rate: Double?

    static func take(_ store: JobStore) throws -> InfoSnapshot {
        let queues = try store.info()
        let supervisors = try store.supervisors()
        return InfoSnapshot(at: Timestamp.nowMilliseconds(), queues: queues, supervisors: supervisors,
                            ended: try endedCount(store, queues: queues.map(\.name)))
    }

    /// The store's per-queue counters (`stats:Q`, written by the same scripts that end jobs), so
    /// the rate counts every worker, supervised or not, on every host.
    static func endedCount(_ store: JobStore, queues: [String]) throws -> Int {
        var total = 0
        for queue in queues {
            do {
                let reply = try store.client.command("HMGET", store.keys.stats(queue), "finished", "failed", "retried")
                total += (reply.array ?? []).reduce(0) { $0 + ($1.string.flatMap { Int($0) } ?? 0) }
            } catch {
                throw QueueError(error.isUnavailable ? .unavailable : .redis, error.description, underlying: error)
            }
        }
        return total
    }

    func withRate(since earlier: InfoSnapshot) -> InfoSnapshot {
        var copy = self
        let seconds = Double(at - earlier.at) / 1000
        copy.rate = seconds > 0 ? Double(max(0, ended - earlier.ended)) / seconds : nil
        return copy
    }

    /// Children of every live (not stale) supervisor, by state.
    var workerStates: [String: Int] {
        var counts: [String: Int] = [:]
        for supervisor in supervisors where !supervisor.isStale(now: at) {
            for child in supervisor.children where child.role == "worker" { counts[child.state, default: 0] += 1 }
        }
        return counts
    }

    var staleSupervisors: Int { supervisors.filter { $0.isStale(now: at) }.count }

    var json: JSONValue {
        var members: [String: JSONValue] = ["queues": .array(queues.map { q in
            .object(["name": .string(q.name), "queued": .number(Double(q.queued)),
                     "scheduled": .number(Double(q.scheduled)), "started": .number(Double(q.started)),
                     "finished": .number(Double(q.finished)), "failed": .number(Double(q.failed)),
                     "canceled": .number(Double(q.canceled)),
                     "oldest_queued_age_seconds": q.oldestQueuedAt.map { .number(Double(at - $0) / 1000) } ?? .null])
        })]
        // Present once a supervisor has registered: a script can tell "no workers" from "0 busy".
        if !supervisors.isEmpty {
            let states = workerStates
            members["workers"] = .object([
                "supervisors": .number(Double(supervisors.count)),
                "hosts": .number(Double(Set(supervisors.map(\.host)).count)),
                "stale_supervisors": .number(Double(staleSupervisors)),
                "busy": .number(Double(states["busy"] ?? 0)), "idle": .number(Double(states["idle"] ?? 0)),
                "starting": .number(Double(states["starting"] ?? 0)), "leaving": .number(Double(states["leaving"] ?? 0)),
            ])
            members["jobs_per_second"] = rate.map { .number(($0 * 10).rounded() / 10) } ?? .null
        }
        return .object(members)
    }

    func text(style: TerminalStyle) -> String {
        var lines = [InfoTable.render(queues, now: at, style: style)]
        if !supervisors.isEmpty {
            let states = workerStates
            let hosts = Set(supervisors.map(\.host)).count
            var summary = "workers: \(style.paint("\(states["busy"] ?? 0) busy", .green)), \(states["idle"] ?? 0) idle"
            if let starting = states["starting"], starting > 0 { summary += ", \(starting) starting" }
            if let leaving = states["leaving"], leaving > 0 { summary += ", \(leaving) leaving" }
            summary += " on \(hosts) host(s)"
            if let rate { summary += "; \(HumanUnits.rate(rate)) jobs/s" }
            if staleSupervisors > 0 {
                summary += "; " + style.paint("\(staleSupervisors) supervisor(s) silent", .red)
            }
            lines.append(summary)
        }
        return lines.joined(separator: "\n")
    }
}

/// The human table of `drover info`: fits 80 columns.
enum InfoTable {
    static func render(_ queues: [QueueCounts], now: Int64, style: TerminalStyle = TerminalStyle(colors: false)) -> String {
        if queues.isEmpty { return "no queues yet" }
        var table = TextTable([
            .init("queue", flexible: true, minimumWidth: 8), .init("queued", alignRight: true), .init("sched", alignRight: true),
            .init("started", alignRight: true), .init("finished", alignRight: true), .init("failed", alignRight: true),
            .init("canceled", alignRight: true), .init("oldest", alignRight: true),
        ])
        table.gap = " "
        for q in queues {
            let age = q.oldestQueuedAt.map { HumanUnits.duration(milliseconds: now - $0) } ?? "-"
            table.append([.init(q.name), .init(String(q.queued)), .init(String(q.scheduled)), .init(String(q.started)),
                          .init(String(q.finished)), .init(String(q.failed), q.failed > 0 ? .red : nil),
                          .init(String(q.canceled)), .init(age)])
        }
        return table.render(style: style)
    }
}
