import ArgumentParser

/// `drover web`: not built yet; this placeholder keeps the command's place in `drover --help`.
struct WebCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve the HTTP API, the dashboard and Prometheus metrics."
    )

    func run() throws {
        throw CLIFailure(status: ExitStatus.failure, message: "drover web is not built yet")
    }
}
