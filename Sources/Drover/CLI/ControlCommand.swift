import ArgumentParser

/// `drover control`: not built yet; this placeholder keeps the command's place in `drover --help`.
struct ControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Control running supervisors through Redis: scale a pool, shut a host down."
    )

    func run() throws {
        throw CLIFailure(status: ExitStatus.failure, message: "drover control is not built yet")
    }
}
