import ArgumentParser

/// `drover workers`: not built yet; this placeholder keeps the command's place in `drover --help`.
struct WorkersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "List supervisors and their children: pool, state, current job, jobs done, RSS."
    )

    func run() throws {
        throw CLIFailure(status: ExitStatus.failure, message: "drover workers is not built yet")
    }
}
