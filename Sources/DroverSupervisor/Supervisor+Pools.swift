import DroverCore
import DroverSystem

extension Supervisor {
    /// A pool's size now: its concurrency plus the TTIN/TTOU and `control scale` steps, never
    /// below one.
    func wantedCount(_ pool: PoolConfig) -> Int {
        max(1, min(PoolConfig.maximumConcurrency, pool.concurrency + scale + poolScale[pool.name, default: 0]))
    }

    /// Forks and retires children until every pool is at size (resque-pool
    /// `maintain_worker_count`). Nothing is forked while stopping, for a drained burst pool, or
    /// before a crash-looping pool's backoff has passed.
    func maintainPools() {
        guard phase == .running else { return }
        let now = MonotonicClock.now()
        let wanted = config.pools.filter { !drainedPools.contains($0.name) }.map { (pool: $0.name, count: wantedCount($0)) }
            + services.map { (pool: ChildProcess.serviceKey($0.name), count: 1) }.filter { !refusedServices.contains($0.pool) }
        let hasDrained = !drainedPools.isEmpty
        for action in PoolPlan.diff(wanted: wanted, running: children.values.map(\.planned)) {
            switch action {
            case let .spawn(name):
                if let notBefore = spawnNotBefore[name], now < notBefore { continue }
                spawn(key: name)
            case let .retire(pid):
                // A burst pool that drained keeps its other children until they drain too.
                if hasDrained, let child = children[pid], drainedPools.contains(child.pool) { continue }
                guard let child = children[pid] else { continue }
                child.leaving = .retiring
                try? Posix.kill(pid, .term)
                logger.info("retiring \(child.role) \(pid) of \(child.isService ? "service" : "pool") \(child.poolName)")
            }
        }
    }
}
