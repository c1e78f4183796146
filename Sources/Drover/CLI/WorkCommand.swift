import ArgumentParser
import Dispatch
import DroverSystem
import Foundation
import Logging

/// `drover work [QUEUE…]`: one worker process, without a supervisor (tests, development,
/// containers that run one process each). `drover worker` is the supervised form.
struct WorkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Run one worker process in the foreground (no supervisor).",
        discussion: """
        TERM or INT: finish the current job, then exit. USR1: cancel the current job (soft limit).

        Examples:
          drover work default mail --burst        (drain two queues, then exit 0)
          drover work --max-jobs 1000
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Queues in strict order (default: default).")
    var queues: [String] = []

    @Flag(help: "Exit when the queues are empty.")
    var burst = false

    @Option(help: "Exit after this many jobs.")
    var maxJobs: Int?

    @Option(help: "The worker's name (default host:pid); give each process its own: a retry after a lost reply trusts a run with its name and clock.")
    var name: String?

    @Option(help: "Lease in seconds: a job held longer without renewal is recovered by others.")
    var lease: Double = 30

    @Option(help: ArgumentHelp("Config file, for its exec: table (default: DROVER_CONFIG, or /etc/drover/drover.yml when present).", valueName: "file"))
    var config: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        if let problem = SecondsOption.lease.problem(lease) { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingFailures {
            for queue in queues where !QueueName.isValid(queue) {
                throw CLIFailure(status: ExitStatus.usage, message: "invalid queue name \"\(queue)\"")
            }
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            var logger = Logger(label: "drover.work")
            logger[metadataKey: "pid"] = "\(getpid())"
            var options = Worker.Options(queues: queues.isEmpty ? ["default"] : queues)
            options.burst = burst
            options.maxJobs = maxJobs
            if let name { options.name = name }
            options.lease = .milliseconds(Int64(lease * 1000))
            var handlers = DroverApp.handlers
            if let path = DroverConfig.path(flag: config, environment: ProcessInfo.processInfo.environment,
                                            fileExists: { FileManager.default.fileExists(atPath: $0) }) {
                let loaded: DroverConfig
                do throws(ConfigError) {
                    loaded = try DroverConfig.load(path: path)
                    let programs = loaded.exec.compactMap(\.programProblem)
                    if !programs.isEmpty { throw ConfigError(file: loaded.file, problems: programs) }
                } catch {
                    throw CLIFailure(status: ExitStatus.config, message: error.description)
                }
                for command in loaded.exec { handlers.register(ExecJobHandler.handler(for: command)) }
            }
            let worker = Worker(redis: try connection.clientOptions(), prefix: connection.resolvedPrefix,
                                handlers: handlers, options: options, logger: logger)
            let watcher = try Self.installSignals(worker)
            logger.info("worker \(options.name) serving \(options.queues.joined(separator: ", "))")
            let exit = worker.run()
            logger.info("worker exiting (\(exit)) after \(worker.jobsDone) job(s)")
            _ = watcher
        }
    }

    /// TERM/INT stop after the current job; USR1 cancels the current job.
    static func installSignals(_ worker: Worker) throws -> SignalWatcher {
        let box = UncheckedWorker(worker: worker)
        return try SignalWatcher(signals: [.term, .int, .usr1]) { signal in
            if signal == .usr1 { box.worker.softTimeLimitReached() } else { box.worker.stop() }
        }
    }
}

/// `Worker.stop()` and `softTimeLimitReached()` only touch an atomic and a locked keeper.
private struct UncheckedWorker: @unchecked Sendable {
    let worker: Worker
}
