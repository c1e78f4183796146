import ArgumentParser
import DroverCore
import DroverQueue
import DroverRedis
import DroverSystem
import Foundation

/// `drover periodic`: the config's periodic entries with their next fire times, in the entry's
/// own zone (what the cron line means) and in UTC (what logs and job records say), and the last
/// tick any scheduler fired, read from Redis (issue 5).
///
/// The schedule comes from the config alone, so the listing works with Redis down; the last-fired
/// column then says it is unknown instead of guessing.
struct PeriodicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "periodic",
        abstract: "List the config's periodic jobs with their next fire times.",
        discussion: """
        Times are shown in the entry's zone and in UTC. A daylight-saving gap fires a missing \
        local time once at the next valid instant; a repeated local time fires once. Exit status \
        78 when the config is invalid (a bad cron string or zone names its entry).

        Examples:
          drover periodic --config /etc/drover/drover.yml
          drover periodic --next 5
          drover periodic --json | jq '.entries[] | {name, next: .next[0].utc}'
        """
    )

    @OptionGroup var configuration: ConfigOptions

    @Option(help: "How many upcoming fire times to show per entry (1–100).")
    var next: Int = 3

    @Flag(help: "Print as JSON.")
    var json = false

    func validate() throws {
        guard (1...100).contains(next) else { throw ValidationError("--next takes 1 to 100") }
    }

    func run() throws {
        try reportingFailures {
            let (loaded, redis) = try configuration.load()
            let now = Date()
            let listing = PeriodicListing(entries: loaded.periodic, now: now, count: next)
            var marks: Result<[String: PeriodicMark], QueueError> = .success([:])
            if !loaded.periodic.isEmpty {
                var quick = redis
                quick.connectTimeout = .milliseconds(500)
                let store = JobStore(client: RedisClient(options: quick), prefix: loaded.redis.prefix)
                marks = Result { () throws(QueueError) in try store.periodicMarks() }
            }
            if json {
                printJSON(listing.json(marks: marks))
            } else {
                print(listing.text(marks: marks, style: .standardOutput()), terminator: "")
            }
        }
    }
}

/// The periodic entries with their upcoming ticks, in both forms `drover periodic` prints.
struct PeriodicListing {
    struct Row {
        var entry: PeriodicEntry
        var upcoming: [CronTick]
    }

    var rows: [Row]

    init(entries: [PeriodicEntry], now: Date, count: Int) {
        rows = entries.map { entry in
            var ticks: [CronTick] = []
            var after = now
            while ticks.count < count, let tick = entry.nextTick(after: after) {
                ticks.append(tick)
                after = tick.date
            }
            return Row(entry: entry, upcoming: ticks)
        }
    }

    /// `2026-03-29 03:00:00 +02:00`: the wall clock of `zone` with its offset at that instant.
    /// An offset rather than an abbreviation: it is unambiguous on both sides of a daylight-saving
    /// change, and Foundation on Linux knows few abbreviations (it says `GMT+1` for CET).
    static func local(_ date: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        return formatter.string(from: date)
    }


    static func utc(_ date: Date) -> String {
        Timestamp.rfc3339(milliseconds: Int64(date.timeIntervalSince1970 * 1000))
    }

    func text(marks: Result<[String: PeriodicMark], QueueError>, style: TerminalStyle) -> String {
        guard !rows.isEmpty else { return "no periodic entries in the config\n" }
        var out = ""
        for row in rows {
            let entry = row.entry
            out += style.paint(entry.name, .bold) + "  \(entry.schedule.expression)  \(entry.timeZoneName)\n"
            out += "  job \(entry.job) on queue \(entry.queue)\n"
            for tick in row.upcoming {
                out += "  next  \(Self.local(tick.date, in: entry.timeZone))  =  \(Self.utc(tick.date))\n"
            }
            if row.upcoming.isEmpty { out += "  next  never (the schedule has no future time)\n" }
            switch marks {
            case let .success(marks):
                if let mark = marks[entry.name] {
                    let date = Date(timeIntervalSince1970: TimeInterval(mark.tick))
                    let what = mark.jobID.map { "as job \($0)" } ?? "skipped (older than catch-up)"
                    out += "  last  \(Self.utc(date))  \(what)\n"
                } else {
                    out += "  last  never fired\n"
                }
            case let .failure(error):
                out += style.paint("  last  unknown: \(error.message)", .yellow) + "\n"
            }
        }
        return out
    }

    func json(marks: Result<[String: PeriodicMark], QueueError>) -> JSONValue {
        var last: [String: PeriodicMark] = [:]
        var redis: JSONValue = .string("ok")
        switch marks {
        case let .success(found): last = found
        case let .failure(error): redis = .string("unreachable: \(error.message)")
        }
        let reachable = (try? marks.get()) != nil
        return .object([
            "redis": redis,
            "entries": .array(rows.map { row in
                let entry = row.entry
                let mark = last[entry.name]
                return .object([
                    "name": .string(entry.name), "cron": .string(entry.schedule.expression),
                    "timezone": .string(entry.timeZoneName), "job": .string(entry.job), "queue": .string(entry.queue),
                    "next": .array(row.upcoming.map { tick in
                        .object(["local": .string(Self.local(tick.date, in: entry.timeZone)), "utc": .string(Self.utc(tick.date))])
                    }),
                    "last_fired": mark.map { mark in
                        .object([
                            "utc": .string(Self.utc(Date(timeIntervalSince1970: TimeInterval(mark.tick)))),
                            "job_id": mark.jobID.map { .string($0.rawValue) } ?? .null,
                        ])
                    } ?? .null,
                    "last_fired_known": .bool(reachable),
                ])
            }),
        ])
    }
}
