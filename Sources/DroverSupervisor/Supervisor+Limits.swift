import DroverCore
import DroverSystem

extension Supervisor {
    /// Soft limit: USR1 to the child, whose job's Task is cancelled. Hard limit: SIGKILL to the
    /// child's process group (the job may be stuck in C code or in a program it started); the
    /// job is failed with a TimeLimit error when the child is reaped, a moment later.
    func enforceTimeLimits() {
        let now = MonotonicClock.now()
        for child in children.values {
            guard var job = child.job else { continue }
            if case .timeLimit? = child.leaving { continue }
            if child.leaving == .coldStop { continue }
            switch job.limits.action(now: now) {
            case .none:
                break
            case .soft:
                logger.warning("job \(job.id) passed its soft time limit: USR1 to \(child.pid)", metadata: ["job_id": "\(job.id)"])
                try? Posix.kill(child.pid, .usr1)
                count("soft_limit_signals", child)
                job.limits.markSoftSent()
                child.job = job
            case .hard:
                let limit = job.limits.hardDeadline.map { job.limits.started.duration(to: $0) } ?? .zero
                child.leaving = .timeLimit(milliseconds: limit.milliseconds, job: job.id)
                try? Posix.killProcessGroup(child.pid, .kill)
                let late = job.limits.hardDeadline.map { $0.duration(to: now) } ?? .zero
                logger.warning("job \(job.id) passed its time limit: killed \(child.role) \(child.pid) (\(late) late)",
                               metadata: ["job_id": "\(job.id)"])
            }
        }
    }
}
