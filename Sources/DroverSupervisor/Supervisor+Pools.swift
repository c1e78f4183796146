import DroverCore
import DroverSystem

extension Supervisor {
    /// A pool's size now: its concurrency plus the TTIN/TTOU and `control scale` steps, never
    /// below one.
    func wantedCount(_ pool: PoolConfig) -> Int {
        max(1, min(PoolConfig.maximumConcurrency, pool.concurrency + poolScale[pool.name, default: 0]))
    }

    /// Moves a pool's size by `delta`, kept within 1…maximum per pool at each step, so a step a
    /// pool could not take (one child, TTOU) is not owed back later: TTOU, TTOU, TTIN gives a
    /// one-child pool two children, as resque-pool and Unicorn do.
    func resize(_ pool: PoolConfig, by delta: Int) {
        let target = max(1, min(PoolConfig.maximumConcurrency, wantedCount(pool) + delta))
        poolScale[pool.name] = target - pool.concurrency
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
