import ArgumentParser
import DroverCore
import DroverQueue

/// `drover cancel ID`
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a job: a waiting one at once, a running one by asking its worker to stop it.",
        discussion: "Example:\n  drover cancel 01JD3W4X5Y6Z7A8B9C0D1E2F3G"
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The job id.")
    var id: String

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func run() throws {
        try reportingFailures {
            let outcome = try connection.store().cancel(JobID(id))
            if json {
                printJSON(.object(["id": .string(id), "outcome": .string(outcome.rawValue)]))
            } else {
                print(outcome == .canceled ? "canceled \(id)" : "cancel requested for running job \(id)")
            }
        }
    }
}
