import ArgumentParser
import DroverCore
import DroverQueue
import Foundation

/// `drover empty QUEUE [--yes]`
struct EmptyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "empty",
        abstract: "Delete every queued job of a queue (asks first, unless --yes).",
        discussion: """
        Only queued jobs are deleted: running, scheduled, finished and failed jobs stay. Without \
        --yes it asks for the queue's name on a terminal, and refuses when stdin is not one.

        Examples:
          drover empty mail
          drover empty mail --yes --json
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The queue.")
    var queue: String

    @Flag(help: "Do not ask for confirmation (for scripts).")
    var yes = false

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let store = try connection.store()
            let queued = try store.info().first { $0.name == queue }?.queued ?? 0
            if !yes {
                guard isatty(0) == 1 else {
                    throw CLIFailure(status: ExitStatus.usage, message: "refusing to empty \(queue) without --yes (stdin is not a terminal)")
                }
                FileHandle.standardOutput.write(Data("Delete \(queued) queued job(s) of \(queue)? Type the queue's name to confirm: ".utf8))
                guard readLine() == queue else {
                    throw CLIFailure(status: ExitStatus.failure, message: "not confirmed; nothing deleted")
                }
            }
            let removed = try store.empty(queue: queue)
            if json {
                printJSON(.object(["queue": .string(queue), "removed": .number(Double(removed))]))
            } else {
                print("removed \(removed) queued job(s) from \(queue)")
            }
        }
    }
}
