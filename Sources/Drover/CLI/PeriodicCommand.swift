import ArgumentParser

/// `drover periodic`: not built yet; this placeholder keeps the command's place in `drover --help`.
struct PeriodicCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "periodic",
        abstract: "List the config's periodic jobs with their next fire times."
    )

    func run() throws {
        throw CLIFailure(status: ExitStatus.failure, message: "drover periodic is not built yet")
    }
}
