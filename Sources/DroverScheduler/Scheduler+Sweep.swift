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
        repeat {
            let batch = try store.recoverExpired(limit: 100)
            recovered += batch
            if batch.count < 100 { break }
        } while recovered.count < 10_000
        if !recovered.isEmpty {
            logger.warning("recovered \(recovered.count) job(s) whose lease expired", metadata: ["job_ids": "\(recovered.prefix(20))"])
        }
        let dropped = try store.sweepExpired(now: now)
        if dropped > 0 { logger.debug("retention: dropped \(dropped) expired job(s) from registries") }
        let pruned = try store.pruneSupervisors(notSeenSince: now - Self.milliseconds(options.supervisorRetention))
        if pruned > 0 { logger.info("retention: pruned \(pruned) supervisor record(s) silent for \(options.supervisorRetention)") }
    }
}
