import Dispatch
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
        ChildRole(name: "worker") { context in run(context, handlers: handlers) }
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
        if let name = context.name { options.name = "\(name):\(Posix.getpid())" }
        options.lease = context.lease
        options.events = PipeWorkerEvents(pipe: context.events, maxJobs: context.maxJobs)
        var logger = Logger(label: "drover.worker")
        logger[metadataKey: "pool"] = "\(pool.name)"
        let worker = Worker(redis: context.redis, prefix: context.config.redis.prefix, handlers: handlers,
                            options: options, logger: logger)
        let sources = installSignals(worker)
        let exit = worker.run()
        logger.debug("worker exiting (\(exit)) after \(worker.jobsDone) job(s)")
        withExtendedLifetime(sources) {}
        // exit 0 tells the master this was expected: max_jobs (replace me) or a drained burst.
        Posix.exit(0)
    }

    /// TERM: finish the current job, then exit. USR1: the master's soft limit, cancel the job.
    /// Dispatch signal sources are fine here: this is the child, after the fork (PLATFORM.md:
    /// the job saw cancellation 2–3 ms after USR1 this way).
    private static func installSignals(_ worker: Worker) -> [any DispatchSourceSignal] {
        let box = WorkerBox(worker: worker)
        var sources: [any DispatchSourceSignal] = []
        for (signal, cancels) in [(SIGTERM, false), (SIGUSR1, true)] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                if cancels { box.worker.softTimeLimitReached() } else { box.worker.stop() }
            }
            source.resume()
            sources.append(source)
        }
        return sources
    }
}

/// `Worker.stop()` and `softTimeLimitReached()` only touch an atomic and a locked keeper.
private struct WorkerBox: @unchecked Sendable {
    let worker: Worker
}
