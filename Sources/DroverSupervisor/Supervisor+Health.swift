import DroverSystem

extension Supervisor {
    /// Once a second: recycles children over their pool's `max_memory_mb` and kills hung ones.
    ///
    /// Memory: the child's current RSS from `/proc/PID/statm`. Past the limit it gets TERM, so
    /// it finishes its job first and is never killed for memory; its replacement is forked at
    /// once, since a retiring child does not count toward the pool.
    ///
    /// Hung: an idle child beats every idle wait (about a second). One that has said nothing for
    /// ``Options/hungTimeout`` while idle is wedged and gets SIGKILL (Unicorn's `murder_lazy_workers`).
    /// Not while Redis is down: then a healthy child is stuck reconnecting, not hung.
    ///
    /// Recovered: a pool counted as crash-looping is healthy again once one of its children has
    /// been up for the backoff's healthy lifetime (as a death after that long would reset it), so
    /// `STATUS=` and `drover workers` stop saying "crash-looping" when the cause is gone.
    func watchChildren() {
        let now = MonotonicClock.now()
        guard now >= nextHealthCheck else { return }
        nextHealthCheck = now.advanced(by: .seconds(1))
        for child in children.values where child.leaving == nil {
            if child.isUp, backoffs[child.pool]?.failures ?? 0 > 0,
               child.started.duration(to: now) >= (backoffs[child.pool] ?? options.restartBackoff).healthyLifetime {
                if backoffs[child.pool]?.isCrashLooping == true {
                    logger.notice("pool \(child.poolName) recovered: \(child.role) \(child.pid) has been up \(child.started.duration(to: now))",
                                  metadata: ["pool": "\(child.poolName)"])
                }
                backoffs[child.pool]?.reset()
            }
            if let limit = config.pool(named: child.pool)?.maxMemoryMB,
               let bytes = try? ProcessStats.residentMemoryBytes(of: child.pid), bytes > limit << 20 {
                logger.info("recycling \(child.role) \(child.pid): RSS \(bytes >> 20) MiB is over max_memory_mb \(limit)",
                            metadata: ["pid": "\(child.pid)", "pool": "\(child.poolName)"])
                child.leaving = .retiring
                count("memory_recycles", child)
                try? Posix.kill(child.pid, .term)
                continue
            }
            if child.job == nil, redisState == .ok, child.lastHeard.duration(to: now) > options.hungTimeout {
                logger.error("\(child.role) \(child.pid) said nothing for \(options.hungTimeout) while idle: killing it as hung",
                             metadata: ["pid": "\(child.pid)", "pool": "\(child.poolName)"])
                try? Posix.killProcessGroup(child.pid, .kill)
            }
        }
    }
}
