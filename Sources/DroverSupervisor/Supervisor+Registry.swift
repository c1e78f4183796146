import DroverCore
import DroverQueue
import DroverSystem

/// A supervisor counter not yet written to Redis.
struct CounterKey: Hashable {
    var name: String
    var pool: String
}

extension Supervisor {
    /// This master's id in the registry and for `drover control`.
    var supervisorID: String { "\(hostName):\(masterPID.rawValue)" }

    /// Counts an event for the Redis counters (written with the next publish, so they survive
    /// restarts and sum across hosts).
    func count(_ name: String, _ child: ChildProcess) {
        pendingIncrements[CounterKey(name: name, pool: child.poolName), default: 0] += 1
    }

    /// Once a second while Redis answers: writes this master's record and counters, and acts on
    /// the control commands waiting for it, in one short script call.
    func publishRecord() {
        let now = MonotonicClock.now()
        guard now >= nextPublish, redisState == .ok else { return }
        nextPublish = now.advanced(by: .seconds(1))
        let wallNow = WallClock.nowMilliseconds()
        let increments = pendingIncrements.map { SupervisorCounter(name: $0.key.name, pool: $0.key.pool, value: $0.value) }
        do {
            let commands = try store.publish(record(now: now, wallNow: wallNow), increments: increments, now: wallNow)
            pendingIncrements.removeAll()
            for command in commands { apply(command) }
        } catch {
            // The next PING decides whether Redis is down; the counters wait for the next publish.
            logger.debug("publishing the supervisor record failed: \(error)")
            nextRedisCheck = now
        }
    }

    /// This master as `drover workers` and the API show it.
    func record(now: MonotonicClock.Instant, wallNow: Int64) -> SupervisorRecord {
        func wall(_ instant: MonotonicClock.Instant) -> Int64 {
            let elapsed = instant.duration(to: now).components
            return wallNow - (elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000)
        }
        let pools = config.pools.map { SupervisorRecord.Pool(name: $0.name, queues: $0.queues, concurrency: wantedCount($0)) }
        let records = children.values.sorted { $0.pid.rawValue < $1.pid.rawValue }.map { child in
            let state = child.leaving != nil ? "leaving" : !child.isUp ? "starting" : child.job != nil ? "busy" : "idle"
            return SupervisorRecord.Child(
                pid: child.pid.rawValue, pool: child.poolName, role: child.role, state: state,
                jobID: child.job.map { "\($0.id)" }, jobStartedAt: child.job.map { wall($0.limits.started) },
                jobsDone: child.jobsDone, rssBytes: (try? ProcessStats.residentMemoryBytes(of: child.pid)).map { Int($0) },
                startedAt: child.startedAtWall
            )
        }
        return SupervisorRecord(id: supervisorID, host: hostName, pid: masterPID.rawValue, name: options.name,
                                startedAt: startedAt, heartbeatAt: wallNow, status: statusLine, jobsDone: jobsDone,
                                pools: pools, children: records)
    }

    /// Acts on a command from `drover control`.
    func apply(_ command: ControlCommand) {
        switch command {
        case let .scale(pool, delta):
            guard let config = config.pool(named: pool) else {
                logger.warning("control: scale of unknown pool \(pool) ignored")
                return
            }
            let before = wantedCount(config)
            resize(config, by: delta)
            logger.info("control: pool \(pool) from \(before) to \(wantedCount(config)) child(ren)")
        case .shutdown:
            if phase == .running { warmStop(because: "control shutdown") }
        }
    }

    /// On exit: the record goes, so `drover workers` does not show a master that left cleanly.
    func unregister() {
        guard redisState == .ok else { return }
        do {
            try store.removeSupervisor(id: supervisorID)
        } catch {
            logger.debug("removing the supervisor record failed: \(error)")
        }
    }
}
