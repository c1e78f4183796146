import ArgumentParser
import DroverCore
import DroverRedis
import DroverSupervisor
import DroverSystem
import Foundation
import Logging

/// `drover worker [QUEUE…]`: the supervised form. A single-threaded master forks one worker
/// child per unit of concurrency, times their jobs' limits, replaces the dead and recycles the
/// old, and talks to systemd (issue 4; README "The supervisor").
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a supervisor: a master that forks and watches worker children.",
        discussion: """
        Signals to the master: TERM/INT warm stop (a second one: cold), QUIT cold stop (jobs go \
        back to their queue), HUP reload the config, USR1 reopen the log file, TTIN/TTOU one \
        child more/less per pool. Exit status 78: the config is invalid.

        Examples:
          drover worker                            (queue default, one child per core)
          drover worker high default --concurrency 4 --max-jobs 1000
          drover worker --config /etc/drover/drover.yml
        """
    )

    @Argument(help: "Queues in strict order; given, they replace the config's pools with one pool.")
    var queues: [String] = []

    @Option(help: "Children per pool (default: the config's, or one per core).")
    var concurrency: Int?

    @Option(help: "Recycle a child after this many jobs.")
    var maxJobs: Int?

    @Flag(help: "Exit 0 once the queues are empty.")
    var burst = false

    @Option(help: "A name for the children's job records (default host:pid).")
    var name: String?

    @Option(help: "Hard time limit in seconds for jobs that set none.")
    var timeout: Double?

    @Option(help: "Lease in seconds: how soon the jobs of a vanished host are recovered by others.")
    var lease: Double = 30

    @Option(help: "Kill an idle child that has said nothing for this many seconds (it beats every second).")
    var hungTimeout: Double = 30

    @OptionGroup var configuration: ConfigOptions

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("Log to this file instead of stderr; USR1 reopens it.", valueName: "file"))
    var logfile: String?

    func validate() throws {
        if let problem = SecondsOption.lease.problem(lease) { throw ValidationError(problem) }
        if let timeout, let problem = SecondsOption(flag: "--timeout", range: 0.001...(7 * 86_400)).problem(timeout) {
            throw ValidationError(problem)
        }
        if let problem = SecondsOption(flag: "--hung-timeout", range: 1...86_400).problem(hungTimeout) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        try reportingFailures {
            for queue in queues where !QueueName.isValid(queue) {
                throw CLIFailure(status: ExitStatus.usage, message: "invalid queue name \"\(queue)\"")
            }
            if let concurrency, !(1...PoolConfig.maximumConcurrency).contains(concurrency) {
                throw CLIFailure(status: ExitStatus.usage, message: "--concurrency must be from 1 to \(PoolConfig.maximumConcurrency)")
            }
            var settings = configuration.applied(to: WorkerSettings(queues: queues, concurrency: concurrency, maxJobs: maxJobs,
                                                                    timeout: timeout))
            settings.checksExecPrograms = true
            // A bad config exits 78 here, before READY and before any fork: systemd does not
            // restart it (RestartPreventExitStatus=78).
            let (loaded, redis) = try configuration.load(settings)
            let sink = try LogSink(path: logfile)
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in SinkLogHandler(label: label, sink: sink, logLevel: level) }
            let logger = Logger(label: "drover.master")

            var master = redis
            // The master's connection is for short calls only (PING, recover): a Redis outage
            // may delay its loop by at most these, never indefinitely.
            master.connectTimeout = .milliseconds(250)
            master.commandTimeout = .milliseconds(500)
            var options = Supervisor.Options(config: loaded, redis: redis, role: WorkerRole.role(handlers: DroverApp.handlers)) {
                try settings.load()
            }
            options.masterRedis = master
            // Service children beside the pools, asked again on every reload: a scheduler when
            // the config says `scheduler: true`, the HTTP server when it has an `http:` section.
            options.services = { config in
                (config.scheduler.enabled ? [SchedulerRole.role()] : []) + (config.http != nil ? [WebRole.role()] : [])
            }
            options.burst = burst
            options.name = name
            options.environment = settings.environment
            options.reopenLogs = { sink.reopen() }
            options.lease = .milliseconds(Int64(lease * 1000))
            options.hungTimeout = .milliseconds(Int64(hungTimeout * 1000))
            let status = try Supervisor(options: options, logger: logger).run()
            if status != 0 { throw ExitCode(status) }
        }
    }
}
