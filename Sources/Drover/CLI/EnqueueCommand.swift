import ArgumentParser
import DroverCore
import DroverQueue
import Foundation

/// `drover enqueue NAME --args JSON …`
struct EnqueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Enqueue a job.",
        discussion: """
        Examples:
          drover enqueue builtin.sleep --args '{"seconds": 1}'
          drover enqueue send_email --args '{"to": "a@b.c"}' --queue mail --in 30s
          drover enqueue welcome --args '{"user": 42}' --unique welcome:42
          drover enqueue builtin.noop --count 100000   (a load test, batches of 100)
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The job's name (its handler).")
    var name: String

    @Option(help: "The arguments as JSON.")
    var args: String = "{}"

    @Option(help: "The queue.")
    var queue: String = "default"

    @Option(name: .customLong("in"), help: ArgumentHelp("Run after this delay (30s, 5m, 1h30m).", valueName: "delay"))
    var delay: String?

    @Option(help: ArgumentHelp("Run at this time (RFC 3339, e.g. 2026-11-24T09:00:00Z).", valueName: "time"))
    var at: String?

    @Option(parsing: .unconditional, help: "Priority, -1000...1000: higher runs first.")
    var priority: Int = 0

    @Option(help: "A unique key: while a job with this key is live, its id is returned instead.")
    var unique: String?

    @Option(help: ArgumentHelp("The job's id (default: a new one). Enqueueing the same job again with its id returns it instead of a copy: after exit status 75, repeat the command with --id and the id it printed.", valueName: "id"))
    var id: String?

    @Option(help: "Attempts before the job fails for good.")
    var maxAttempts: Int = 25

    @Option(help: ArgumentHelp("Soft time limit (the job is asked to stop).", valueName: "duration"))
    var softTimeLimit: String?

    @Option(help: ArgumentHelp("Hard time limit (the job's worker is killed).", valueName: "duration"))
    var timeLimit: String?

    @Option(help: ArgumentHelp("How long a finished job is kept (0 deletes it at once).", valueName: "duration"))
    var resultTtl: String?

    @Option(help: "Enqueue this many copies, in batches of 100 (load tests, demos).")
    var count: Int = 1

    @Flag(help: "Print the new job as JSON.")
    var json = false

    func validate() throws {
        if delay != nil && at != nil { throw ValidationError("use --in or --at, not both") }
        if count < 1 { throw ValidationError("--count must be at least 1") }
        if count > 1 && unique != nil { throw ValidationError("--unique cannot be combined with --count") }
        if count > 1 && id != nil { throw ValidationError("--id cannot be combined with --count") }
        if let problem = JSONSyntax.problem(args) { throw ValidationError("--args is \(problem): \(args.prefix(80))") }
    }

    func run() throws {
        try reportingFailures {
            var options = JobOptions()
            options.queue = queue
            options.priority = priority
            options.uniqueKey = unique
            options.id = id.map(JobID.init)
            options.maxAttempts = maxAttempts
            options.softTimeLimit = try softTimeLimit.map(parseSpan)
            options.timeLimit = try timeLimit.map(parseSpan)
            if let ttl = try resultTtl.map(parseSpan) { options.resultTTL = ttl }
            if let delay {
                options.runAt = Timestamp.nowMilliseconds() + (try parseSpan(delay)).milliseconds
            } else if let at {
                do {
                    options.runAt = try Timestamp.milliseconds(parsing: at)
                } catch {
                    throw CLIFailure(status: ExitStatus.usage, message: "--at: \(error)")
                }
            }
            let store = try connection.store()
            let request = EnqueueRequest(name: name, argsJSON: args, options: options)
            if count == 1 {
                let result: EnqueueResult
                do {
                    result = try store.enqueue(request)
                } catch let error as QueueError where error.code == .outcomeUnknown {
                    var failure = CLIFailure(error)
                    let id = error.unconfirmed.first?.rawValue ?? "?"
                    failure.message += ". Check it with `drover status \(id)`, or run the same command again with --id \(id)"
                        + " (it returns the job if it was written)"
                    throw failure
                }
                if json {
                    if let job = try store.job(result.id) {
                        var value = job.json
                        if case .object(var members) = value {
                            members["duplicate"] = .bool(result.duplicate)
                            members["repeated"] = .bool(result.repeated)
                            value = .object(members)
                        }
                        printJSON(value)
                    } else {
                        printJSON(.object(["id": .string(result.id.rawValue), "duplicate": .bool(result.duplicate)]))
                    }
                } else if result.duplicate {
                    print("\(result.id) (already live with unique key \(unique ?? ""))")
                } else if result.repeated {
                    print("\(result.id) \(result.state?.rawValue ?? "") on \(queue) (enqueued before with this id)")
                } else {
                    print("\(result.id) \(result.state?.rawValue ?? "") on \(queue)")
                }
                return
            }
            let started = ContinuousClock.now
            var done = 0
            var first: JobID?
            var last: JobID?
            // Chunks of 10,000 keep memory flat for a --count of millions. A failure says how
            // many jobs are confirmed: those are written, and enqueueing them again would copy them.
            while done < count {
                let chunk = min(10_000, count - done)
                let results: [EnqueueResult]
                do {
                    results = try store.enqueue(Array(repeating: request, count: chunk))
                } catch let error as QueueError where error.code == .outcomeUnknown {
                    var failure = CLIFailure(error)
                    failure.message = "\(done + error.confirmed) of \(count) jobs are confirmed enqueued on \(queue); whether "
                        + "\(error.unconfirmed.count) more were is unknown (the enqueue was sent, but its reply was lost and so "
                        + "was its retry's); the other \(count - done - error.confirmed - error.unconfirmed.count) were not sent. "
                        + "First unconfirmed id: \(error.unconfirmed.first?.rawValue ?? "?"). \(error.message)"
                    throw failure
                } catch let error as QueueError where done > 0 {
                    var failure = CLIFailure(error)
                    failure.message = "\(done) of \(count) jobs are confirmed enqueued on \(queue); the rest were not: \(error.message)"
                    throw failure
                }
                first = first ?? results.first?.id
                last = results.last?.id
                done += chunk
            }
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
                + Double((ContinuousClock.now - started).components.seconds)
            let rate = seconds > 0 ? Double(count) / seconds : 0
            if json {
                printJSON(.object(["enqueued": .number(Double(count)), "queue": .string(queue),
                                   "first": .string(first?.rawValue ?? ""), "last": .string(last?.rawValue ?? ""),
                                   "seconds": .number(seconds), "jobs_per_second": .number(rate.rounded())]))
            } else {
                print("enqueued \(count) jobs on \(queue) in \(String(format: "%.3f", seconds)) s (\(Int(rate)) jobs/s)")
            }
        }
    }

    private func parseSpan(_ text: String) throws -> TimeSpan {
        do {
            return try TimeSpan(parsing: text)
        } catch {
            throw CLIFailure(status: ExitStatus.usage, message: error.description)
        }
    }
}
