import DroverCore
import DroverSystem

extension Supervisor {
    /// Acts on the signals that arrived since the last pass (the README's signal table). The handler only
    /// wrote a byte; everything happens here, where logging and Redis are safe.
    func handleSignals() {
        guard let signalPipe else { return }
        let signals: [Signal]
        do {
            signals = try signalPipe.drain()
        } catch {
            logger.error("reading the signal pipe: \(error)")
            return
        }
        for signal in signals {
            switch signal {
            case .term, .int:
                if phase == .running {
                    warmStop(because: signal.name)
                } else {
                    coldStop(because: "a second \(signal.name)")
                }
            case .quit:
                coldStop(because: "QUIT")
            case .hup:
                reload()
            case .usr1:
                logger.info("USR1: reopening log files")
                options.reopenLogs()
                // The children write through a copy of the old descriptor: HUP tells those that
                // can to reopen the path too (a child without that handler keeps the old file
                // until it is recycled).
                for child in children.values where child.reopensLogsOnHUP {
                    try? Posix.kill(child.pid, .hup)
                }
                // The first line of the new file, so an operator sees when it was opened.
                logger.info("log files reopened after USR1")
            case .ttin:
                for pool in config.pools { resize(pool, by: 1) }
                logger.info("TTIN: \(poolSummary)")
            case .ttou:
                // Never below one child per pool: TTOU scales a running pool, it does not stop it.
                for pool in config.pools { resize(pool, by: -1) }
                logger.info("TTOU: \(poolSummary)")
            case .chld:
                break // reapChildren runs every pass
            default:
                break
            }
        }
    }

    /// TERM/INT: children get TERM (finish the current job, then exit); after
    /// `shutdown.graceful_timeout` the rest are stopped as QUIT does.
    func warmStop(because reason: String) {
        let timeout = config.shutdown.gracefulTimeout
        phase = .stopping(deadline: MonotonicClock.now().advanced(by: timeout.duration))
        logger.info("\(reason): warm stop; waiting up to \(timeout) for \(children.count) child(ren)")
        // EXTEND_TIMEOUT_USEC: jobs may drain for the whole graceful timeout, plus a margin to
        // reap and recover (systemd.service(5)).
        let extend = (timeout.milliseconds + 5000) * 1000
        notifier.send("STOPPING=1", "EXTEND_TIMEOUT_USEC=\(extend)", "STATUS=stopping: draining \(busyCount) job(s)")
        for child in children.values where child.leaving == nil || child.leaving == .retiring {
            child.leaving = .retiring
            try? Posix.kill(child.pid, .term)
        }
    }

    /// QUIT, a second TERM, or the graceful timeout: kill every child's group now; their jobs
    /// are recovered as they are reaped.
    func coldStop(because reason: String) {
        if phase != .stoppingCold {
            logger.warning("\(reason): cold stop; killing \(children.count) child(ren)")
            if case .running = phase { notifier.send("STOPPING=1") }
        }
        phase = .stoppingCold
        for child in children.values where child.leaving != .coldStop {
            if case .timeLimit? = child.leaving { continue }
            child.leaving = .coldStop
            try? Posix.killProcessGroup(child.pid, .kill)
        }
    }

    /// Called each pass: moves a warm stop past its deadline to cold, and reports when the last
    /// child is gone (or, in burst mode, every pool has drained).
    /// - Returns: whether the master should exit now.
    func finishStop() -> Bool {
        switch phase {
        case .running:
            if options.burst, children.isEmpty, config.pools.allSatisfy({ drainedPools.contains($0.name) }) {
                logger.info("burst: every queue is empty")
                notifier.send("STOPPING=1")
                return true
            }
            return false
        case let .stopping(deadline):
            if children.isEmpty { return true }
            if MonotonicClock.now() >= deadline { coldStop(because: "graceful timeout") }
            return false
        case .stoppingCold:
            return children.isEmpty
        }
    }

    /// HUP: re-read the config. A bad file is logged and the running pools keep going; a good
    /// one replaces every child gracefully (each finishes its job; its replacement is forked at
    /// once, since retiring children do not count toward a pool's size).
    func reload() {
        guard phase == .running else { return }
        // RELOADING=1 … READY=1 only around a reload of a ready service: before the first READY,
        // or while an earlier reload is still bringing children up (readySent is false then), a
        // READY=1 here would tell systemd the service is ready when it is not.
        let announce = readySent
        // MONOTONIC_USEC: systemd 253's Type=notify-reload wants it with RELOADING=1; older
        // managers ignore it (sd_notify(3)).
        if announce { notifier.send("RELOADING=1", "MONOTONIC_USEC=\(MonotonicClock.now().nanoseconds / 1000)") }
        let fresh: DroverConfig
        do {
            fresh = try options.reload()
            // The Redis settings are the master's own connection and every child's, the prefix
            // its records live under: they change only with a restart, not half-way on a HUP.
            if fresh.redis != config.redis {
                throw ReloadRefusal(message: "the redis section (url, password_file or prefix) changed; it takes effect only on a restart")
            }
        } catch {
            logger.error("HUP: the new config is not applied; keeping the running one.\n\(error)")
            let status = "STATUS=reload rejected: \(error is ReloadRefusal ? "redis settings changed (restart needed)" : "invalid config"); \(statusLine)"
            if announce { notifier.send("READY=1", status) } else { notifier.send(status) }
            return
        }
        config = fresh
        poolScale = [:]
        refusedServices.removeAll()
        services = options.burst ? [] : options.services(fresh)
        drainedPools.removeAll()
        logger.info("HUP: config reloaded: \(poolSummary)")
        for child in children.values where child.leaving == nil {
            child.leaving = .retiring
            try? Posix.kill(child.pid, .term)
        }
        reloading = true
        readySent = false
    }
}

/// A new config that parses but cannot be applied by a reload.
struct ReloadRefusal: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
