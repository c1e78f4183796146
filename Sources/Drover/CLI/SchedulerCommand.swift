import ArgumentParser
import DroverCore
import DroverRedis
import DroverScheduler
import DroverSystem
import Foundation
import Logging

/// `drover scheduler`: one scheduler process in the foreground (issue 5). The supervised form is
/// the scheduler child that `drover worker` forks when the config says `scheduler: true`. Any
/// number may run, on any hosts: every promotion and every tick is one atomic script.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run a scheduler: promote delayed jobs on time, fire periodic jobs, sweep expired records.",
        discussion: """
        Periodic entries and the catch-up window come from the config (periodic:, scheduler.catch_up). \
        TERM or INT: exit 0 at once (every step is atomic, so nothing is left half done). \
        Exit status 78: the config is invalid.

        Examples:
          drover scheduler --config /etc/drover/drover.yml
          REDIS_URL=unix:///run/redis/redis.sock drover scheduler
        """
    )

    @OptionGroup var configuration: ConfigOptions

    @Option(help: "Seconds between sweeps (lease recovery, retention).")
    var sweepInterval: Double = 5

    @Option(help: "The workers' lease in seconds: after losing Redis, the scheduler recovers no lease for this long.")
    var lease: Double = 30

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() throws {
        try reportingFailures {
            let sweepEvery = try SecondsOption(flag: "--sweep-interval", range: 0.01...3600).duration(sweepInterval)
            let leaseLength = try SecondsOption.lease.duration(lease)
            let (loaded, redis) = try configuration.load()
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            var logger = Logger(label: "drover.scheduler")
            logger[metadataKey: "pid"] = "\(Posix.getpid())"
            var options = SchedulerRole.options(loaded)
            options.sweepInterval = sweepEvery
            options.lease = leaseLength
            do {
                try Scheduler(redis: redis, options: options, logger: logger).run()
            } catch {
                throw CLIFailure(status: ExitStatus.failure, message: "scheduler: \(error)")
            }
        }
    }
}
