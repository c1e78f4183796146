import DroverCore
import DroverSupervisor
import DroverSystem
import DroverWorker
import Glibc
import Logging

/// The worker role: what a supervised child runs after the fork. Runs only in the child, where
/// threads, Dispatch and Swift concurrency are allowed (the master never touches them).
enum WorkerRole {
    /// The role for the supervisor.
    static func role(handlers: HandlerRegistry) -> ChildRole {
        ChildRole(name: "worker", reopensLogsOnHUP: true) { context in run(context, handlers: handlers) }
    }

    static func run(_ context: ChildContext, handlers: HandlerRegistry) -> Never {
        // A write to the pipe of a dead master fails with EPIPE instead of killing the child
        // before PDEATHSIG does.
        try? Posix.ignore(.pipe)
        let pool = context.pool
        var options = Worker.Options(queues: pool.queues)
        options.maxJobs = context.maxJobs
        options.burst = context.burst
        // The master times limits and sends USR1; the worker only reports them.
        options.enforcesSoftLimit = false
        options.defaultSoftTimeLimit = (pool.softTimeLimit ?? context.config.jobDefaults.softTimeLimit)?.duration
        options.defaultTimeLimit = (pool.timeLimit ?? context.config.jobDefaults.timeLimit)?.duration
        options.name = ChildContext.workerName(chosen: context.name, host: context.hostName, pid: Posix.getpid())
        options.lease = context.lease
        let events = PipeWorkerEvents(channel: context.channel, maxJobs: context.maxJobs)
        options.events = events
        ExecPrograms.observer.withLock { $0 = { pid, running in events.program(pid, running: running) } }
        var logger = Logger(label: "drover.worker")
        logger[metadataKey: "pool"] = "\(pool.name)"
        // Exec jobs named in the config are served by every supervised worker.
        var handlers = handlers
        for command in context.config.exec { handlers.register(ExecJobHandler.handler(for: command)) }
        let worker = Worker(redis: context.redis, prefix: context.config.redis.prefix, handlers: handlers,
                            options: options, logger: logger)
        let sources = installSignals(worker, reopenLogs: context.reopenLogs)
        let exit = worker.run()
        logger.debug("worker exiting (\(exit)) after \(worker.jobsDone) job(s)")
        withExtendedLifetime(sources) {}
        // exit 0 tells the master this was expected: max_jobs (replace me) or a drained burst.
        Posix.exit(0)
    }

    /// TERM: finish the current job, then exit. USR1: the master's soft limit, cancel the job.
    /// HUP: reopen the log file (the master got USR1 from logrotate).
    /// Through a self-pipe watcher thread, not Dispatch sources: a Dispatch source in a worker
    /// idle in a blocking Redis read caught TERM but never ran its handler (`SignalWatcher`).
    private static func installSignals(_ worker: Worker, reopenLogs: @escaping @Sendable () -> Void) -> SignalWatcher? {
        let box = WorkerBox(worker: worker)
        return try? SignalWatcher(signals: [.term, .usr1, .hup]) { signal in
            switch signal {
            case .usr1: box.worker.softTimeLimitReached()
            case .hup: reopenLogs()
            default: box.worker.stop()
            }
        }
    }
}

/// `Worker.stop()` and `softTimeLimitReached()` only touch an atomic and a locked keeper.
private struct WorkerBox: @unchecked Sendable {
    let worker: Worker
}
