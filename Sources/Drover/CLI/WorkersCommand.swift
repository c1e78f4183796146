import ArgumentParser
import DroverCore
import DroverQueue
import Foundation

/// `drover workers`: every supervisor that publishes itself in Redis (once a second), and each of
/// its children: pool, state, the job it runs and for how long, jobs done, memory. What `rq
/// workers` shows, per host and supervised.
struct WorkersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List supervisors and their children: pool, state, current job, jobs done, RSS.",
        discussion: """
        One block per supervisor (HOST:PID, the id `drover control` takes), then one line per \
        child. A supervisor that has not written its record for 15 s is marked silent: it is \
        frozen, cut off from Redis, or died without cleaning up (its jobs come back when their \
        leases expire).

        Examples:
          drover workers
          drover workers --pool mail
          drover workers --json | jq '.supervisors[].children[]''
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only children of this pool.")
    var pool: String?

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            let now = Timestamp.nowMilliseconds()
            var supervisors = try store.supervisors()
            if let pool {
                supervisors = supervisors.compactMap { record in
                    var record = record
                    record.children = record.children.filter { $0.pool == pool }
                    return record.pools.contains { $0.name == pool } || !record.children.isEmpty ? record : nil
                }
            }
            if json {
                printJSON(.object(["supervisors": .array(supervisors.map { WorkersView.json($0, now: now) })]))
            } else {
                print(WorkersView.text(supervisors, now: now, style: .standardOutput()))
            }
        }
    }
}

/// The forms of `drover workers`.
enum WorkersView {
    static func json(_ record: SupervisorRecord, now: Int64) -> JSONValue {
        func number(_ value: Int) -> JSONValue { .number(Double(value)) }
        return .object([
            "id": .string(record.id), "host": .string(record.host), "pid": number(Int(record.pid)),
            "name": record.name.map(JSONValue.string) ?? .null,
            "started_at": .string(Timestamp.rfc3339(milliseconds: record.startedAt)),
            "heartbeat_at": .string(Timestamp.rfc3339(milliseconds: record.heartbeatAt)),
            "stale": .bool(record.isStale(now: now)), "status": .string(record.status), "jobs_done": number(record.jobsDone),
            "pools": .array(record.pools.map {
                .object(["name": .string($0.name), "queues": .array($0.queues.map(JSONValue.string)), "concurrency": number($0.concurrency)])
            }),
            "children": .array(record.children.map { child in
                .object([
                    "pid": number(Int(child.pid)), "pool": .string(child.pool), "role": .string(child.role),
                    "state": .string(child.state), "job_id": child.jobID.map(JSONValue.string) ?? .null,
                    "job_seconds": child.jobStartedAt.map { .number(Double(max(0, now - $0)) / 1000) } ?? .null,
                    "jobs_done": number(child.jobsDone), "rss_bytes": child.rssBytes.map(number) ?? .null,
                    "started_at": .string(Timestamp.rfc3339(milliseconds: child.startedAt)),
                ])
            }),
        ])
    }

    static func text(_ supervisors: [SupervisorRecord], now: Int64, style: TerminalStyle) -> String {
        if supervisors.isEmpty { return "no supervisors registered (is drover worker running against this Redis and prefix?)" }
        var blocks: [String] = []
        for record in supervisors {
            var heading = style.paint(record.id, .bold)
            if let name = record.name, name != record.id { heading += " (\(name))" }
            heading += "  up \(HumanUnits.duration(milliseconds: now - record.startedAt)), \(record.jobsDone) job(s) done"
            if record.isStale(now: now) {
                heading += ", " + style.paint("silent for \(HumanUnits.duration(milliseconds: now - record.heartbeatAt))", .red)
            }
            var lines = [heading]
            let pools = record.pools.map { "\($0.name) [\($0.queues.joined(separator: ", "))] ×\($0.concurrency)" }
            if !pools.isEmpty { lines.append("  pools: " + TextTable.fit(pools.joined(separator: "; "), 71)) }
            var table = TextTable([
                .init("pid", alignRight: true), .init("pool", flexible: true), .init("state"),
                .init("job", flexible: true, minimumWidth: 8), .init("for", alignRight: true),
                .init("done", alignRight: true), .init("rss", alignRight: true),
            ], indent: "  ")
            for child in record.children {
                let color: TerminalStyle.Color? = switch child.state {
                case "busy": .green
                case "starting", "leaving": .yellow
                default: nil
                }
                let role = child.role == "worker" ? child.state : "\(child.role)"
                table.append([
                    .init(String(child.pid)), .init(child.pool), .init(role, color),
                    .init(child.jobID ?? "-"),
                    .init(child.jobStartedAt.map { HumanUnits.duration(milliseconds: now - $0) } ?? "-"),
                    .init(String(child.jobsDone)), .init(child.rssBytes.map(HumanUnits.bytes) ?? "-"),
                ])
            }
            lines.append(record.children.isEmpty ? "  no children" : table.render(style: style))
            blocks.append(lines.joined(separator: "\n"))
        }
        return blocks.joined(separator: "\n\n")
    }
}
