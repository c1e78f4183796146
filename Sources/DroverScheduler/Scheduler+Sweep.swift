import DroverCore
import DroverQueue

// MARK: - Recovery and retention
//
// Every `sweepInterval`: jobs whose lease expired go back to their queue (the host-loss case
// of the worker issue, so recovery happens even where no worker is idle), ended jobs whose TTL
// passed leave their registries, and supervisors silent for `supervisorRetention` are pruned.
// All three are atomic scripts, so several schedulers sweeping at once only repeat no-ops.

extension Scheduler {
    func sweep(now: Int64) throws(QueueError) {
        var recovered: [JobID] = []
        // Not within a lease after this scheduler's own outage: the workers cut off with it
        // reconnect after their own backoff, and their renewals and late finishes go first.
        let holding = lastOutage.map { ContinuousClock.now - $0 < LeaseTiming.holdAfterOutage(lease: options.lease) } ?? false
        while !holding {
            let batch = try store.recoverExpired(limit: 100)
            recovered += batch
            if batch.count < 100 || recovered.count >= 10_000 { break }
        }
        if !recovered.isEmpty {
            logger.warning("recovered \(recovered.count) job(s) whose lease expired", metadata: ["job_ids": "\(recovered.prefix(20))"])
        }
        // Small calls, repeated while they drop anything: each call blocks Redis while it looks
        // at the oldest ids of every registry (expired or not), and one large call held Redis long
        // enough to show in delayed jobs' lateness (docs/benchmarks.md, the scheduler section).
        var dropped = 0
        while dropped < 1_000_000 {
            let batch = try store.sweepExpired(now: now, budget: 100)
            dropped += batch
            if batch == 0 { break }
        }
        if dropped > 0 { logger.debug("retention: dropped \(dropped) expired job(s) from registries") }
        let pruned = try store.pruneSupervisors(notSeenSince: now - Self.milliseconds(options.supervisorRetention))
        if pruned > 0 { logger.info("retention: pruned \(pruned) supervisor record(s) silent for \(options.supervisorRetention)") }
    }
}
