import DroverCore
import DroverQueue

/// What a worker tells whoever supervises it (README "The supervisor": the child tells the master over its
/// pipe when it starts and ends a job, with id and limits, and beats while idle). Called on the
/// worker's own thread; implementations must not block for long.
public protocol WorkerEvents: Sendable {
    /// A job started: the master times its limits from now, and requeues it if this process dies.
    /// `retryAfterTimeLimit`: with a hard limit, the delay of the retry if the run is killed at
    /// it (the handler's policy, else the job's), or nil when its attempts are spent.
    func jobStarted(id: JobID, lease: Int, softTimeLimit: Duration?, timeLimit: Duration?, retryAfterTimeLimit: Duration?)
    /// The job's outcome was recorded.
    func jobEnded(id: JobID)
    /// The worker is idle and alive (called at least once per idle wait).
    func heartbeat()
    /// A call that may take a job (a fetch, or a finish that fetches the next) is about to go
    /// to Redis with this clock. If this process dies before the job it took is reported
    /// started, that job is started in Redis with no one running it; a supervisor gets it back
    /// by this clock (`JobStore.releaseLostFetch`).
    func fetching(clock: Int64)
}

extension WorkerEvents {
    public func fetching(clock: Int64) {}
}
