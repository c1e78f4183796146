import DroverQueue
import DroverSystem

extension Supervisor {
    var busyCount: Int { children.values.filter { $0.job != nil }.count }

    /// One line for `STATUS=` and logs: children busy/idle/starting, jobs done, Redis.
    var statusLine: String {
        let live = children.values.filter { $0.leaving == nil && !$0.isService }
        let busy = live.filter { $0.job != nil }.count
        let starting = live.filter { !$0.isUp }.count
        let idle = live.count - busy - starting
        var line = "\(busy) busy, \(idle) idle"
        if starting > 0 { line += ", \(starting) starting" }
        let leaving = children.values.filter { $0.leaving != nil && !$0.isService }.count
        if leaving > 0 { line += ", \(leaving) leaving" }
        line += "; \(jobsDone) job(s) done; \(redisState.summary)"
        let looping = backoffs.filter { $0.value.isCrashLooping }.map(\.key).sorted()
        if !looping.isEmpty { line += "; crash-looping: \(looping.joined(separator: ", "))" }
        return line
    }

    /// Every pool has its children up (each has spoken once) and Redis answered.
    var isReady: Bool {
        guard redisState == .ok, phase == .running else { return false }
        return config.pools.allSatisfy { pool in
            children.values.filter { $0.pool == pool.name && $0.leaving == nil && $0.isUp }.count >= wantedCount(pool)
        }
    }

    /// READY=1 once (and again after a reload), STATUS= when it changes, WATCHDOG=1 when due.
    /// The watchdog is only fed from here, so a master wedged anywhere in its loop stops feeding
    /// it and systemd restarts it (sd_watchdog_enabled(3)).
    func notifySystemd() {
        guard phase == .running else { return }
        let status = statusLine
        if !readySent, isReady {
            readySent = true
            reloading = false
            lastStatus = status
            notifier.send("READY=1", "STATUS=\(status)")
            logger.info("ready: \(status)")
            releaseAfterReady()
        } else if status != lastStatus, MonotonicClock.now() >= nextStatus {
            // At most one STATUS= a second: a busy pool changes it per job, and sd_notify(3)
            // blocks the master once the notify socket's queue (max_dgram_qlen, 10) is full.
            lastStatus = status
            nextStatus = MonotonicClock.now().advanced(by: .seconds(1))
            notifier.send("STATUS=\(status)")
        }
        if let interval = notifier.watchdogInterval, let due = nextWatchdog, MonotonicClock.now() >= due {
            notifier.send("WATCHDOG=1")
            nextWatchdog = MonotonicClock.now().advanced(by: interval)
        }
    }

    /// Recovers the jobs of children that died while Redis was down.
    func retryRecoveries() {
        while let pending = pendingRecoveries.first {
            do {
                let state = try store.recover(pending.id, lease: pending.lease, error: pending.error, retryAt: pending.retryAt)
                logger.info("job \(pending.id) recovered after the outage: \(state.map { "\($0)" } ?? "already ended")",
                            metadata: ["job_id": "\(pending.id)"])
                pendingRecoveries.removeFirst()
            } catch {
                return
            }
        }
        while let lost = pendingLostFetches.first, releaseLostFetch(lost) {
            pendingLostFetches.removeFirst()
        }
    }

    /// PINGs Redis: before READY every pass until it answers (with backoff), then every few
    /// seconds for STATUS=. The master's client has short timeouts.
    func checkRedis() {
        let now = MonotonicClock.now()
        guard now >= nextRedisCheck else { return }
        do {
            _ = try store.client.command("PING")
            if redisState != .ok {
                logger.info("Redis answered")
                // Children were stuck reconnecting, not hung: give each a fresh hung window.
                for child in children.values { child.lastHeard = now }
            }
            redisState = .ok
            redisFailures = 0
            retryRecoveries()
            nextRedisCheck = now.advanced(by: .seconds(5))
        } catch {
            redisFailures += 1
            if redisState == .ok || redisState == .unknown { logger.error("Redis unavailable: \(error)") }
            // The connect error itself (refused, timeout, auth), not the backoff window's wrapper,
            // so STATUS= names the cause and stays the same line while the outage lasts.
            redisState = .unavailable((store.client.lastConnectionError ?? error).message)
            nextRedisCheck = now.advanced(by: store.client.backoff(afterFailures: redisFailures))
        }
    }
}
