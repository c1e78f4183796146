import ArgumentParser

/// `drover scheduler`: not built yet; this placeholder keeps the command's place in `drover --help`.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run a scheduler: promote delayed jobs on time, fire periodic jobs, sweep expired records."
    )

    func run() throws {
        throw CLIFailure(status: ExitStatus.failure, message: "drover scheduler is not built yet")
    }
}
