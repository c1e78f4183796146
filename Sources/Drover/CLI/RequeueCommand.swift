import ArgumentParser
import DroverCore
import DroverQueue

/// `drover requeue ID… | --all [--queue Q]`
struct RequeueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue",
        abstract: "Put failed (or canceled) jobs back in their queues with fresh attempts.",
        discussion: """
        Each job goes back to its queue with fresh attempts. A job that cannot be requeued (not \
        failed or canceled, gone, or its unique key taken by a live job) is listed; with ids \
        rather than --all, any such job makes the exit status 1.

        Examples:
          drover requeue 01JD3W4X5Y6Z7A8B9C0D1E2F3G
          drover requeue --all --queue mail
          drover failed --queue mail --json | jq -r '.jobs[].id' | xargs drover requeue
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Job ids.")
    var ids: [String] = []

    @Flag(help: "Every failed job (of --queue, or of every queue).")
    var all = false

    @Option(help: "With --all: only this queue.")
    var queue: String?

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func validate() throws {
        if all == !ids.isEmpty { throw ValidationError("give job ids, or --all") }
        if queue != nil && !all { throw ValidationError("--queue goes with --all") }
    }

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            var targets = ids.map(JobID.init)
            if all {
                for name in try queue.map({ [$0] }) ?? store.info().map(\.name) {
                    var offset = 0
                    while true {
                        let page = try store.ids(in: "failed", queue: name, offset: offset, limit: 1000)
                        targets += page
                        if page.count < 1000 { break }
                        offset += 1000
                    }
                }
            }
            var requeued = 0
            var problems: [String] = []
            for id in targets {
                do throws(QueueError) {
                    try store.requeue(id)
                    requeued += 1
                } catch {
                    if error.code == .unavailable { throw error }
                    problems.append(error.message)
                }
            }
            if json {
                printJSON(.object(["requeued": .number(Double(requeued)), "errors": .array(problems.map { .string($0) })]))
            } else {
                print("requeued \(requeued) job(s)")
                for problem in problems { print("  \(problem)") }
            }
            if !problems.isEmpty && !all { throw CLIFailure(status: ExitStatus.failure, message: "\(problems.count) job(s) not requeued") }
        }
    }
}
