import Foundation
internal import Yams

/// A job enqueued on a cron schedule: `periodic: [{ name, cron, timezone, job, queue, args,
/// priority, max_attempts, soft_time_limit, time_limit }]`.
public struct PeriodicEntry: Sendable, Equatable {
    /// Unique among entries; part of each tick's idempotency key (`CronTick.idempotencyKey`).
    public var name: String
    /// When it fires.
    public var schedule: CronSchedule
    /// The zone whose wall clock `schedule` describes (default UTC).
    public var timeZone: TimeZone
    /// The job name to enqueue.
    public var job: String
    /// The queue to enqueue on (default `default`).
    public var queue: String
    /// The job's arguments as compact JSON text, or nil when the entry gives none.
    public var argsJSON: String?
    /// The job's priority (higher first), or nil for the job's default.
    public var priority: Int?
    /// The job's attempts, or nil for the job's default.
    public var maxAttempts: Int?
    /// The job's soft limit, or nil for the pool's.
    public var softTimeLimit: TimeSpan?
    /// The job's hard limit, or nil for the pool's.
    public var timeLimit: TimeSpan?

    /// Creates an entry.
    /// - Parameters:
    ///   - name: the entry's name.
    ///   - schedule: when it fires.
    ///   - timeZone: the schedule's zone.
    ///   - job: the job name.
    ///   - queue: the queue.
    ///   - argsJSON: the arguments as JSON text.
    ///   - priority: the priority.
    ///   - maxAttempts: the attempts.
    ///   - softTimeLimit: the soft limit.
    ///   - timeLimit: the hard limit.
    public init(
        name: String, schedule: CronSchedule, timeZone: TimeZone = TimeZone(identifier: "UTC")!, job: String,
        queue: String = "default", argsJSON: String? = nil, priority: Int? = nil, maxAttempts: Int? = nil,
        softTimeLimit: TimeSpan? = nil, timeLimit: TimeSpan? = nil
    ) {
        self.name = name
        self.schedule = schedule
        self.timeZone = timeZone
        self.job = job
        self.queue = queue
        self.argsJSON = argsJSON
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.softTimeLimit = softTimeLimit
        self.timeLimit = timeLimit
    }

    /// The zone's name for people: the IANA identifier, except that Foundation on Linux reports
    /// UTC as `GMT`, which no one wrote in a config.
    public var timeZoneName: String {
        timeZone.identifier == "GMT" ? "UTC" : timeZone.identifier
    }

    /// The next tick after `date`, in the entry's zone.
    /// - Parameter date: the instant to search after.
    public func nextTick(after date: Date) -> CronTick? {
        schedule.nextTick(after: date, in: timeZone)
    }

    static let keys = [
        "name", "cron", "timezone", "job", "queue", "args", "priority", "max_attempts", "soft_time_limit", "time_limit",
    ]

    /// Reads one entry of `periodic:`. Cron and zone problems name the entry, since that is
    /// what an operator looks for in a long list (issue 5).
    static func read(_ node: Node, path: String, reader: inout ConfigReader) -> PeriodicEntry? {
        guard let fields = reader.fields(node, path: path, allowed: keys) else { return nil }
        let name = fields.required("name", &reader).flatMap { reader.simpleName($0, path: fields.path("name")) }
        let entry = name.map { "entry \"\($0)\": " } ?? ""

        var schedule: CronSchedule?
        if let value = fields.required("cron", &reader),
           let text = reader.string(value, path: fields.path("cron"), what: "a cron expression such as \"0 2 * * *\"") {
            do {
                schedule = try CronSchedule(parsing: text)
            } catch {
                reader.report(.invalidValue, fields.path("cron"), "\(entry)invalid cron \"\(text)\": \(error)", at: value)
            }
        }
        var timeZone = TimeZone(identifier: "UTC")!
        if let value = fields["timezone"], let identifier = reader.string(value, path: fields.path("timezone")) {
            switch IANAZone.zone(identifier) {
            case let .success(zone): timeZone = zone
            case let .failure(refusal): reader.report(.invalidValue, fields.path("timezone"), "\(entry)\(refusal)", at: value)
            }
        }
        let job = fields.required("job", &reader).flatMap { reader.name($0, path: fields.path("job"), what: "a job name") }
        let queue = fields["queue"].flatMap { reader.name($0, path: fields.path("queue"), what: "a queue name") }
        var args = fields["args"].flatMap { JSONText.from($0, path: fields.path("args"), reader: &reader) }
        if let text = args, let problem = JobArguments.problem(text) {
            reader.report(.invalidValue, fields.path("args"), "\(entry)\(problem)", at: fields["args"])
            args = nil
        }
        let priority = fields["priority"].flatMap {
            reader.int($0, path: fields.path("priority"), in: Int(Int32.min)...Int(Int32.max), what: "a whole number")
        }
        let maxAttempts = fields["max_attempts"].flatMap { reader.positiveInt($0, path: fields.path("max_attempts")) }
        let (soft, hard) = reader.timeLimits(fields)

        guard let name, let schedule, let job else { return nil }
        return PeriodicEntry(
            name: name, schedule: schedule, timeZone: timeZone, job: job, queue: queue ?? "default",
            argsJSON: args, priority: priority, maxAttempts: maxAttempts, softTimeLimit: soft, timeLimit: hard
        )
    }
}
