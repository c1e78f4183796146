import DroverCore
import DroverQueue
import DroverSystem
import Logging

extension Supervisor {
    // MARK: - Forking

    /// Forks one child of a pool, or of a service.
    /// - Parameter key: a pool's name, or a ``ChildProcess/serviceKey(_:)``.
    func spawn(key: String) {
        if let service = services.first(where: { ChildProcess.serviceKey($0.name) == key }) {
            spawn(PoolConfig(name: service.name, queues: [], concurrency: 1), role: service, key: key, isService: true)
        } else if let pool = config.pool(named: key) {
            spawn(pool, role: options.role, key: key, isService: false)
        }
    }

    /// Forks one child for `pool` and records it.
    ///
    /// The child, before running the role: closes the master's descriptors (signal pipe, other
    /// children's pipes, its own pipe's read end), sets `PR_SET_PDEATHSIG` to KILL and re-checks
    /// its parent (``ChildSetup``), then moves into its own process group, so a hard limit's
    /// SIGKILL to the group also takes any program it `exec`ed, and a terminal's Ctrl-C reaches
    /// only the master, which decides what the children get.
    func spawn(_ pool: PoolConfig, role: ChildRole, key: String, isService: Bool) {
        assert((try? ProcessStats.threadCount()) == 1, "the master must be single-threaded to fork (docs/platform.md)")
        let pipe: Pipe
        do {
            pipe = try Pipe(nonBlockingRead: true, nonBlockingWrite: true)  // see MasterChannel.send
        } catch {
            logger.error("cannot open a pipe for a \(pool.name) child: \(error)")
            delaySpawns(key, by: .seconds(1))
            return
        }
        let inherited = children.values.compactMap(\.pipe) + [pipe.readEnd] + (doorbell.map { [$0.readEnd] } ?? [])
        let context = ChildContext(
            pool: pool, config: config, redis: options.redis, maxJobs: isService ? nil : pool.maxJobs.map(Self.jittered),
            burst: options.burst, name: options.name, hostName: hostName, lease: options.lease,
            channel: MasterChannel(pipe: pipe.writeEnd, doorbell: doorbell?.writeEnd), masterPID: masterPID,
            reopenLogs: options.reopenLogs
        )
        let result: Posix.ForkResult
        do {
            result = try Posix.fork()
        } catch {
            logger.error("fork failed for a \(pool.name) child: \(error)")
            delaySpawns(key, by: .seconds(1))
            return
        }
        switch result {
        case .child:
            do {
                try ChildSetup.run(masterPID: masterPID, deathSignal: .kill, signalPipe: signalPipe, closing: inherited)
                try Posix.setProcessGroup()
            } catch {
                Posix.exit(71) // EX_OSERR
            }
            // The master's Redis socket is not the child's (docs/platform.md: never use a connection
            // inherited across fork), and hiredis does not make it close-on-exec: drop this
            // copy, so a program the worker execs does not hold it. Closing a copy sends nothing.
            store.client.disconnect()
            // Until the role installs its HUP handler, a HUP (the master passing on a log
            // rotation) must not kill it: HUP's default action is to terminate.
            if role.reopensLogsOnHUP { try? Posix.ignore(.hup) }
            // The role runs on a thread of its own: this one has the master's thread id cached
            // by the Swift runtime's locks, which deadlocks them once the role starts threads.
            do {
                try ChildSetup.continueOnNewThread { role.entry(context) }
            } catch {
                Posix.exit(71) // EX_OSERR
            }
        case let .parent(pid):
            // Both sides set the group, so a kill of the group cannot race the child's setpgid.
            try? Posix.setProcessGroup(of: pid, to: pid)
            try? pipe.writeEnd.close()
            children[pid] = ChildProcess(pid: pid, pool: key, role: role.name, isService: isService, pipe: pipe.readEnd,
                                         started: MonotonicClock.now())
            children[pid]?.reopensLogsOnHUP = role.reopensLogsOnHUP
            children[pid]?.queues = isService ? [] : pool.queues
            logger.debug("forked \(role.name) \(pid)\(isService ? "" : " for pool \(pool.name)")")
        }
    }

    /// `max_jobs` plus up to a tenth more, so a pool's children do not all recycle together.
    static func jittered(_ maxJobs: Int) -> Int {
        maxJobs + Int.random(in: 0...max(0, maxJobs / 10))
    }

    func delaySpawns(_ pool: String, by delay: Duration) {
        spawnNotBefore[pool] = MonotonicClock.now().advanced(by: delay)
    }

    // MARK: - Reading child pipes

    /// Empties the doorbell, then reads every child's pipe: one non-blocking read each for an
    /// idle child, and a pass runs about once a second plus once per ring.
    func readChildren() {
        if let doorbell {
            var bytes: [UInt8] = []
            while case .read = (try? doorbell.readEnd.read(into: &bytes, maxCount: 4096)) ?? .wouldBlock { bytes.removeAll() }
        }
        for child in children.values { read(child) }
    }

    /// Reads what the child wrote and applies each line. End of file (the child is gone) closes
    /// the pipe; the child itself is reaped on its SIGCHLD.
    func read(_ child: ChildProcess) {
        guard let pipe = child.pipe else { return }
        var bytes: [UInt8] = []
        var endOfFile = false
        readLoop: while true {
            do {
                switch try pipe.read(into: &bytes, maxCount: 4096) {
                case .read: continue
                case .wouldBlock: break readLoop
                case .endOfFile:
                    endOfFile = true
                    break readLoop
                }
            } catch {
                endOfFile = true
                break
            }
        }
        let now = MonotonicClock.now()
        child.buffer.append(bytes) { line in
            guard let message = ChildMessage(bytes: line) else {
                logger.warning("child \(child.pid) sent an unreadable line: \(String(decoding: line, as: UTF8.self))")
                return
            }
            apply(message, from: child, at: now)
        }
        if endOfFile {
            try? pipe.close()
            child.pipe = nil
        }
    }

    func apply(_ message: ChildMessage, from child: ChildProcess, at now: MonotonicClock.Instant) {
        if !child.isUp {
            child.isUp = true
            logger.debug("\(child.role) \(child.pid) up \(child.started.duration(to: now)) after its fork")
        }
        child.lastHeard = now
        switch message {
        case let .started(id, lease, soft, hard, at, retry):
            logger.debug("\(child.role) \(child.pid) started job \(id)", metadata: ["job_id": "\(id)"])
            // Limits count from the child's start instant (the line may be read up to a second
            // later), never from the future nor from before the child was forked.
            let started = at.map { max(min($0, now), child.started) } ?? now
            child.job = ChildProcess.RunningJob(id: id, lease: lease,
                                                limits: LimitClock(started: started, softMilliseconds: soft, hardMilliseconds: hard),
                                                retryAfterTimeLimit: retry)
            child.fetchesOut.removeAll()
        case let .fetching(clock):
            // The first clock stays (a job it took carries it as its start, however often a
            // retry renewed it); a long run of retries keeps the last 15 besides.
            if child.fetchesOut.last != clock { child.fetchesOut.append(clock) }
            if child.fetchesOut.count > 16 { child.fetchesOut.remove(at: 1) }
        case let .ended(id):
            if child.job?.id == id { child.job = nil }
            // A child that finished a job started up fine: its pool is not crash-looping.
            if backoffs[child.pool]?.failures ?? 0 > 0 { backoffs[child.pool]?.reset() }
            child.jobsDone += 1
            jobsDone += 1
        case .beat:
            // Idle: its last fetch came back empty.
            child.fetchesOut.removeAll()
        case .leaving:
            // Counted as retiring, so maintainPools forks the replacement in this pass.
            child.saidLeaving = true
            if child.leaving == nil { child.leaving = .retiring }
        case let .program(group):
            child.programs.insert(group)
        case let .programEnded(group):
            child.programs.remove(group)
        }
    }

    // MARK: - Reaping

    /// Reaps every child that has exited: no zombie outlives a pass (gunicorn `reap_workers`).
    /// A job in flight goes back to its queue at once (or fails when its attempts are spent).
    func reapChildren() {
        var reapedAny = false
        defer { if reapedAny { killAdoptedOrphans() } }
        while true {
            let reaped: (pid: ProcessID, status: WaitStatus)?
            do {
                reaped = try Posix.waitAny(nonBlocking: true)
            } catch {
                logger.error("waitpid: \(error)")
                return
            }
            guard let (pid, status) = reaped else { return }
            reapedAny = true
            guard let child = children.removeValue(forKey: pid) else {
                logger.debug("reaped unknown process \(pid) (\(status))")
                continue
            }
            // Lines written before the exit are still in the pipe: an `end` there means no job
            // was in flight.
            read(child)
            if let pipe = child.pipe { try? pipe.close() }
            killPrograms(of: child)
            childExited(child, status: status)
        }
    }

    /// Kills the exec programs a dead child was running. A worker runs an exec job's program in
    /// a process group of its own (so a cancel stops the program and what it started, not the
    /// worker), and tells the master; when the worker dies (a hard limit, a cold stop, a crash)
    /// the program would live on, beside the job's next attempt. What left the group is
    /// ``killAdoptedOrphans()``'s.
    func killPrograms(of child: ChildProcess) {
        for group in child.programs {
            logger.warning("killing process group \(group): the exec program of dead child \(child.pid)")
            try? Posix.killProcessGroup(group, .kill)
        }
        child.programs.removeAll()
    }

    /// Kills every process the master adopted as subreaper: what an exec program started and
    /// left behind when its worker and the worker's reaper died at once (a hard limit's KILL to
    /// the worker's group; see ``ContainedSpawn``). Each of them dies, is reaped here in turn,
    /// and brings the next orphans with it, so a whole tree goes within a few passes. Called
    /// after a pass that reaped something: a Drover child's death is the only way a process
    /// becomes the master's orphan.
    func killAdoptedOrphans() {
        for pid in Posix.liveChildren(of: masterPID) where children[pid] == nil && !childrenBeforeStart.contains(pid) {
            logger.warning("killing process \(pid): left behind by an exec job of a dead child")
            try? Posix.kill(pid, .kill)
        }
    }

    private func childExited(_ child: ChildProcess, status: WaitStatus) {
        var metadata: Logger.Metadata = ["pid": "\(child.pid)", "pool": "\(child.poolName)"]
        if let job = child.job {
            metadata["job_id"] = "\(job.id)"
            recover(job, of: child, status: status)
        }
        if !child.fetchesOut.isEmpty { releaseLostFetch(of: child) }
        let lifetime = child.started.duration(to: MonotonicClock.now())
        switch child.leaving {
        case .retiring? where child.saidLeaving && status == .exited(0):
            count("max_jobs_recycles", child)
            logger.info("\(child.role) \(child.pid) recycled after \(child.jobsDone) job(s) (max_jobs)", metadata: metadata)
            return
        case .retiring?, .coldStop?:
            logger.info("\(child.role) \(child.pid) exited (\(status)) after \(child.jobsDone) job(s)", metadata: metadata)
            return
        case let .timeLimit(milliseconds, _)?:
            count("hard_limit_kills", child)
            logger.warning("\(child.role) \(child.pid) killed at its hard time limit (\(milliseconds) ms)", metadata: metadata)
            return
        case nil:
            break
        }
        if status == .exited(0), !child.isService {
            if options.burst {
                drainedPools.insert(child.pool)
                logger.info("\(child.role) \(child.pid) found its queues empty (burst)", metadata: metadata)
            } else {
                logger.info("\(child.role) \(child.pid) recycled after \(child.jobsDone) job(s)", metadata: metadata)
            }
            return
        }
        if child.isService, status == .exited(78) {
            // EX_CONFIG: the service refused its part of the config (say, an unreadable token
            // file). Forking it again cannot help until the config changes, so it waits for a
            // reload instead of restarting with backoff forever; the pools run on.
            refusedServices.insert(child.pool)
            logger.error("\(child.role) \(child.pid) refused its configuration (exit 78); not restarted until a reload (HUP)",
                         metadata: metadata)
            return
        }
        count("child_restarts", child)
        let hint = status.terminationSignal == .kill ? " Perhaps out of memory?" : ""
        logger.error("\(child.role) \(child.pid) \(status) after \(lifetime).\(hint)", metadata: metadata)
        var backoff = backoffs[child.pool] ?? options.restartBackoff
        let delay = backoff.recordDeath(lifetime: lifetime, finishedJobs: child.jobsDone > 0)
        backoffs[child.pool] = backoff
        if delay > .zero {
            logger.error("\(child.isService ? "service" : "pool") \(child.poolName): \(backoff.failures) children died young in a row; next in \(delay)", metadata: metadata)
            delaySpawns(child.pool, by: delay)
        }
    }

    /// A child that died with a fetching call out (its finish that takes the next job, say,
    /// when a cold stop's KILL came) may have taken a job it never reported: started in Redis
    /// under its name, with no one to run it. It goes back to the front of its queue, with no
    /// attempt counted, instead of waiting out its lease. When Redis cannot be reached now, it
    /// is tried again when Redis answers (`retryRecoveries`).
    private func releaseLostFetch(of child: ChildProcess) {
        let spec = FetchSpec(queues: child.queues, worker: ChildContext.workerName(chosen: options.name, host: hostName, pid: child.pid),
                             leaseMilliseconds: options.lease.milliseconds)
        let lost = (spec, child.fetchesOut, "\(child.role) \(child.pid)")
        child.fetchesOut.removeAll()
        if case .unavailable = redisState {
            // Tried when Redis answers again (until then no one renews the run, so its score
            // still names it), as the child's own job is.
            pendingLostFetches.append(lost)
            return
        }
        if !releaseLostFetch(lost) { pendingLostFetches.append(lost) }
    }

    /// - Returns: false when Redis could not be asked (try again later).
    func releaseLostFetch(_ lost: (spec: FetchSpec, clocks: [Int64], child: String)) -> Bool {
        do {
            if let id = try store.releaseLostFetch(lost.spec, lostCalls: lost.clocks) {
                logger.info("job \(id), fetched by \(lost.child) before it died, is back in its queue",
                            metadata: ["job_id": "\(id)"])
            }
            return true
        } catch {
            logger.warning("could not check for a job fetched by dead \(lost.child) now (\(error)); trying again when Redis answers")
            return false
        }
    }

    /// Puts a dead child's job back (or fails it), through the master's own connection.
    private func recover(_ job: ChildProcess.RunningJob, of child: ChildProcess, status: WaitStatus) {
        let jobError: JobError
        var retryAt: Int64 = 0
        switch child.leaving {
        case let .timeLimit(milliseconds, killed)? where killed == job.id:
            jobError = JobError(type: "TimeLimit", message: "the job ran past its time limit of \(TimeSpan(clamping: milliseconds)); its worker was killed",
                             signal: "KILL")
            // Retried per its policy, which the child said when the job started.
            if let retry = job.retryAfterTimeLimit {
                retryAt = retry < 0 ? retry : WallClock.nowMilliseconds() + retry
            }
        case .timeLimit?:
            // The job that ran out of time ended just before the kill, and this one had started.
            jobError = JobError(type: "Crash", message: "the worker was killed at the time limit of the job before this one", signal: "KILL")
        case .coldStop?:
            jobError = JobError(type: "Crash", message: "the worker was stopped by a cold stop of its supervisor", signal: "KILL")
        default:
            jobError = JobError(type: "Crash", message: "the worker process \(status) while running the job",
                             signal: status.terminationSignal?.name, exitStatus: status.exitStatus.map(Int.init))
        }
        if case .unavailable = redisState {
            // Each try would block the loop for the client's timeouts: queue it for the next
            // PING that answers instead.
            pendingRecoveries.append((job.id, job.lease, jobError, retryAt))
            logger.error("Redis is unavailable: job \(job.id) is recovered when it answers", metadata: ["job_id": "\(job.id)"])
            return
        }
        do {
            let state = try store.recover(job.id, lease: job.lease, error: jobError, retryAt: retryAt)
            logger.info("job \(job.id) of \(child.role) \(child.pid): \(state.map { "\($0)" } ?? "already ended")",
                        metadata: ["job_id": "\(job.id)"])
        } catch {
            // Retried when Redis answers again; and never lost meanwhile: once the lease
            // expires, any worker's recoverExpired takes it.
            logger.error("could not recover job \(job.id) now (\(error)); retrying when Redis answers",
                         metadata: ["job_id": "\(job.id)"])
            pendingRecoveries.append((job.id, job.lease, jobError, retryAt))
            nextRedisCheck = MonotonicClock.now()
        }
    }
}
