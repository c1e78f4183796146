import DroverCore
import DroverScheduler
import DroverSupervisor
import DroverSystem
import Logging

/// The scheduler role: the service child the master forks when the config says
/// `scheduler: true` (issue 5). Runs only in the child, after the fork.
///
/// It beats on its pipe once a second (``ChildMessage/beat``), so the master sees it alive, and
/// exits 0 at once on TERM: every step of a scheduler is one atomic script, so there is nothing
/// to finish first.
enum SchedulerRole {
    /// The role for the supervisor's `services`.
    static func role() -> ChildRole {
        ChildRole(name: "scheduler", reopensLogsOnHUP: true) { context in run(context) }
    }

    /// The scheduler's options from a config.
    static func options(_ config: DroverConfig) -> Scheduler.Options {
        var options = Scheduler.Options()
        options.prefix = config.redis.prefix
        options.periodic = config.periodic
        options.catchUp = config.scheduler.catchUp
        return options
    }

    static func run(_ context: ChildContext) -> Never {
        // A write to the pipe of a dead master fails with EPIPE instead of killing the child
        // before PDEATHSIG does.
        try? Posix.ignore(.pipe)
        var options = options(context.config)
        options.lease = context.lease
        let channel = context.channel
        options.beat = { channel.send(.beat) }
        options.masterPID = context.masterPID
        options.stopSignals = [.term, .int]
        options.reopenLogs = context.reopenLogs
        var logger = Logger(label: "drover.scheduler")
        logger[metadataKey: "pid"] = "\(Posix.getpid())"
        do {
            try Scheduler(redis: context.redis, options: options, logger: logger).run()
        } catch {
            logger.error("scheduler failed: \(error)")
            Posix.exit(1)
        }
        Posix.exit(0)
    }
}
